// The login decision: password, then TOTP when enrolled; lockout after consecutive failures; every outcome an audit
// event. The HTTP routes (server.ts) only carry its answers to the browser.
import type { AuditTrail } from '../audit/trail.js';
import type { SeedBox } from '../mfa/seed-box.js';
import { matchStep } from '../mfa/totp.js';
import type { WebAccounts, WebRole } from '../store/store.js';
import { DECOY_HASH, verifyPassword } from './password.js';

export interface LoginDeps {
  accounts: WebAccounts;
  audit: AuditTrail;
  seeds: SeedBox;
  rules: () => { lockAfter: number; lockMinutes: number };
}

export type LoginStep = { ok: true; name: string; role: WebRole; needsCode: boolean } | { ok: false; message: string };

/** One message for every refusal: which part was wrong (or that the account is locked) is not told to the browser. */
const REFUSED = 'Login refused.';

export class WebLogin {
  #d: LoginDeps;
  constructor(deps: LoginDeps) {
    this.#d = deps;
  }

  async password(name: string, password: string, sourceIp: string): Promise<LoginStep> {
    const account = await this.#d.accounts.getWebAccount(name);
    const right = await verifyPassword(password, account?.passwordHash ?? DECOY_HASH); // as slow for unknown names
    if (!account) return this.#refuse(name, sourceIp, 'password', false);
    if (!right) return this.#refuse(name, sourceIp, 'password', true);
    // A locked account is refused after the code, with the same message: the lock is not told before a second factor.
    if (account.totpEnc) return { ok: true, name, role: account.role, needsCode: true };
    return this.#finish(name, account.role, sourceIp, 'password');
  }

  async code(name: string, code: string, sourceIp: string): Promise<LoginStep> {
    const account = await this.#d.accounts.getWebAccount(name);
    if (!account?.totpEnc) return this.#refuse(name, sourceIp, 'totp', false);
    const step = matchStep(this.#d.seeds.open(account.totpEnc, `web:${name}`), code);
    if (step === undefined || !(await this.#d.accounts.useWebTotpStep(name, step))) return this.#refuse(name, sourceIp, 'totp', true);
    return this.#finish(name, account.role, sourceIp, 'password+totp');
  }

  async #finish(name: string, role: WebRole, sourceIp: string, method: 'password' | 'password+totp'): Promise<LoginStep> {
    const lock = await this.#d.accounts.clearWebFailuresUnlessLocked(name);
    if (lock.lockedUntil) {
      await this.#d.audit.record('WebLoginFailure', { user: name, sourceIp }, { step: 'locked', until: lock.lockedUntil, reason: 'account locked' });
      return { ok: false, message: REFUSED };
    }
    await this.#d.audit.record('WebLogin', { user: name, sourceIp }, { role, method });
    return { ok: true, name, role, needsCode: false };
  }

  async #refuse(name: string, sourceIp: string, step: 'password' | 'totp', count: boolean): Promise<LoginStep> {
    const { lockAfter, lockMinutes } = this.#d.rules();
    const lock = count ? await this.#d.accounts.recordWebFailure(name, lockAfter, lockMinutes * 60) : undefined;
    const reason = count ? `wrong ${step === 'totp' ? 'code' : 'password'}` : 'unknown account';
    await this.#d.audit.record('WebLoginFailure', { user: name, sourceIp }, { step, ...(lock?.lockedUntil ? { until: lock.lockedUntil } : {}), reason });
    return { ok: false, message: REFUSED };
  }
}
