// TOTP seeds are encrypted at rest (AES-256-GCM) with a key kept in its own file, apart from the store: a copy of the
// database alone does not give anyone the seeds.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export class SeedBox {
  #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the MFA key file must hold 32 bytes');
    this.#key = key;
  }

  /** Opens the key file, creating it (mode 0600) on first use. */
  static fromFile(path: string): SeedBox {
    if (!existsSync(path)) writeFileSync(path, randomBytes(32), { mode: 0o600, flag: 'wx' });
    return new SeedBox(readFileSync(path));
  }

  seal(secret: string, user: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(user)); // a sealed seed cannot be moved to another user's row
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  open(sealed: Buffer, user: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(user));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  }
}
