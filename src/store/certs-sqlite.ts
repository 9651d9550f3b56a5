// User certificates in the SQLite store: serials, issued certificates, revocations, and targets' certificate login.
import type Database from 'better-sqlite3';
import type { Certificates, CertRevocationRecord, IssuedCertRecord } from './store.js';
import type { Row } from './rows.js';

export const toIssued = (r: Row): IssuedCertRecord => ({
  serial: Number(r.serial), user: r.user, keyId: r.key_id, fingerprint: r.fingerprint, validBefore: r.valid_before, issuedAt: r.issued_at,
});
export const toRevocation = (r: Row): CertRevocationRecord => ({
  ...(r.serial !== null ? { serial: Number(r.serial) } : {}),
  ...(r.ca !== null ? { ca: r.ca } : {}),
  ...(r.key_id !== null ? { keyId: r.key_id } : {}),
  reason: r.reason,
  revokedAt: r.revoked_at,
});

export function sqliteCertificates(db: Database.Database): Certificates {
  return {
    async nextCertSerial() {
      return Number(db.prepare('INSERT INTO cert_serials (at) VALUES (?)').run(new Date().toISOString()).lastInsertRowid);
    },
    async recordIssuedCert(c) {
      db.prepare('INSERT INTO issued_certs (serial, user, key_id, fingerprint, valid_before, issued_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(c.serial, c.user, c.keyId, c.fingerprint, c.validBefore, new Date().toISOString());
    },
    async listIssuedCerts() {
      return (db.prepare('SELECT * FROM issued_certs ORDER BY serial').all() as Row[]).map(toIssued);
    },
    async revokeCert(c) {
      db.prepare('INSERT INTO cert_revocations (serial, ca, key_id, reason, revoked_at) VALUES (?, ?, ?, ?, ?)')
        .run(c.serial ?? null, c.ca ?? null, c.keyId ?? null, c.reason, new Date().toISOString());
    },
    async certRevocation(ca, serial, keyId) {
      const r = db.prepare('SELECT * FROM cert_revocations WHERE (serial = ? AND ca = ?) OR key_id = ? ORDER BY id LIMIT 1').get(serial, ca, keyId) as Row | undefined;
      return r && toRevocation(r);
    },
    async listCertRevocations() {
      return (db.prepare('SELECT * FROM cert_revocations ORDER BY id').all() as Row[]).map(toRevocation);
    },
    async setCertLogin(target, on) {
      return db.prepare('UPDATE targets SET cert_login = ? WHERE name = ?').run(on ? 1 : 0, target).changes > 0;
    },
  };
}
