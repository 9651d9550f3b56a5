// Logins with a second factor: users enrolled with `fumidai mfa enroll`, codes from oathtool (a generator we did not
// write) typed into ssh's keyboard-interactive prompt by sshpass, as test/mfa.test.ts drives them.
import { Bastion } from '../../test/helpers/fumidai.js';
import { run } from '../../test/helpers/proc.js';

export interface MfaUser {
  name: string;
  key: string;
  secret: string;
  /** The last 30 s step this user logged in with: fumidai accepts each step once per user (replay protection). */
  lastStep: number;
}

const STEP_MS = 30_000;

/** Adds each user with its own key (a key identifies one user), grants it the target and enrolls it in TOTP. */
export async function enrollMfaUsers(bastion: Bastion, names: string[], target: string): Promise<MfaUser[]> {
  const users: MfaUser[] = [];
  for (const name of names) {
    const key = await bastion.addUser(name);
    await bastion.cli(['grant', name, target]);
    const secret = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['mfa', 'enroll', name])).stdout)?.[1];
    if (!secret) throw new Error(`fumidai mfa enroll ${name} printed no secret`);
    users.push({ name, key, secret, lastStep: 0 });
  }
  return users;
}

/**
 * oathtool's code for a step this user has not logged in with yet: waits for the next 30 s step when it already did
 * in the current one. The code is that of the step read from the clock here (oathtool is given the same instant).
 */
export async function freshCode(user: MfaUser): Promise<string> {
  for (;;) {
    const now = Date.now();
    const step = Math.floor(now / STEP_MS);
    if (step > user.lastStep) {
      const r = await run('oathtool', ['--totp', '-b', '-N', `@${Math.floor(now / 1000)}`, user.secret]);
      if (r.code !== 0) throw new Error(`oathtool failed (${r.code}): ${r.stderr.trim()}`);
      user.lastStep = step;
      return r.stdout.trim();
    }
    await new Promise((res) => setTimeout(res, (step + 1) * STEP_MS - now + 100));
  }
}

/** `sshpass` arguments that type `code` at the "Verification code:" prompt of `ssh ...sshArgs`. */
export const sshpassArgs = (code: string, sshArgs: string[]) => ['-P', 'Verification code', '-p', code, 'ssh', ...sshArgs];
