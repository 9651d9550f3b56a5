// Certificates in tests: `ssh USER@bastion cert` after key and a TOTP code from oathtool (an implementation we did not write).
import { rmSync } from 'node:fs';
import type { Bastion } from './fumidai.js';
import { run } from './proc.js';

export const totp = async (secret: string) => (await run('oathtool', ['--totp', '-b', secret])).stdout.trim();

/** Waits until the current 30 s step has at least `need` seconds left, so a code computed now stays valid. */
export const freshStep = async (need = 10) => {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < need) await new Promise((r) => setTimeout(r, left * 1000 + 200));
};

/** `ssh USER@bastion cert ARGS` after key and TOTP: the certificate line (stdout), or the failure. */
export async function issueCert(bastion: Bastion, user: string, key: string, secret: string, args: string[] = []) {
  await freshStep();
  rmSync(`${key}-cert.pub`, { force: true }); // a login with a certificate cannot renew it: key and code only
  const cfg = bastion.sshConfig(user, key, {}, ['BatchMode no', 'NumberOfPasswordPrompts 1']);
  return run('sshpass', ['-P', 'Verification code', '-p', await totp(secret), 'ssh', '-F', cfg, 'bastion', 'cert', ...args], { timeoutMs: 30_000 });
}

