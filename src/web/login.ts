// The login decision: refused at once from a banned address; password, then a security key when the account has one,
// else TOTP when enrolled; lockout after consecutive failures; every outcome an audit event. The HTTP routes
// (login-routes.ts) only carry its answers to the browser.
import type { AuditTrail } from '../audit/trail.js';
import type { SourceThrottle } from '../auth/throttle.js';
import type { SeedBox } from '../mfa/seed-box.js';
import { matchStep } from '../mfa/totp.js';
import type { AuthState, WebAccounts, WebIdentity, WebRole } from '../store/store.js';
import { DECOY_HASH, verifyPassword } from './password.js';
import { checkAssertion, type RelyingParty } from './webauthn.js';

export interface LoginDeps {
  accounts: WebAccounts & Pick<WebIdentity, 'webAuthnCredentials' | 'webAuthnCredential' | 'useWebAuthnCounter'> & Pick<AuthState, 'banSource' | 'sourceBans'>;
  audit: Pick<AuditTrail, 'record'>;
  seeds: SeedBox;
  rules: () => { lockAfter: number; lockMinutes: number };
  /** Failures per address, with the SSH rules (auth.banAfter, banWindow, banSeconds) but counted apart from SSH. */
  throttle: SourceThrottle;
  banSeconds: number;
}

export type SecondFactor = 'totp' | 'webauthn';
export type LoginStep =
  | { ok: true; name: string; role: WebRole; needs?: SecondFactor }
  | { ok: false; message: string; banned?: boolean };

/** One message for every refusal: which part was wrong (or that the account is locked) is not told to the browser. */
const REFUSED = 'Login refused.';
/** The console's failures are counted under their own key beside the SSH ones (same table, same rules). */
export const webBanKey = (ip: string): string => `web:${ip}`;

export class WebLogin {
  #d: LoginDeps;
  constructor(deps: LoginDeps) {
    this.#d = deps;
  }

  /** A refusal for a banned address, before anything is checked; undefined when it may try. */
  banned(sourceIp: string): LoginStep | undefined {
    const ms = this.#d.throttle.bannedFor(webBanKey(sourceIp));
    return ms > 0 ? { ok: false, banned: true, message: `too many failed logins from this address; try again in ${Math.ceil(ms / 1000)} s` } : undefined;
  }

  async password(name: string, password: string, sourceIp: string): Promise<LoginStep> {
    const banned = this.banned(sourceIp);
    if (banned) return banned;
    const account = await this.#d.accounts.getWebAccount(name);
    const right = await verifyPassword(password, account?.passwordHash ?? DECOY_HASH); // as slow for unknown names
    if (!account) return this.#refuse(name, sourceIp, 'password', false);
    if (!right) return this.#refuse(name, sourceIp, 'password', true);
    // A locked account is refused after the second factor, with the same message: the lock is not told before it.
    if ((await this.#d.accounts.webAuthnCredentials(name)).length) return { ok: true, name, role: account.role, needs: 'webauthn' };
    if (account.totpEnc) return { ok: true, name, role: account.role, needs: 'totp' };
    return this.#finish(name, account.role, sourceIp, 'password');
  }

  async code(name: string, code: string, sourceIp: string): Promise<LoginStep> {
    const banned = this.banned(sourceIp);
    if (banned) return banned;
    const account = await this.#d.accounts.getWebAccount(name);
    if (!account?.totpEnc) return this.#refuse(name, sourceIp, 'totp', false);
    const step = matchStep(this.#d.seeds.open(account.totpEnc, `web:${name}`), code);
    if (step === undefined || !(await this.#d.accounts.useWebTotpStep(name, step))) return this.#refuse(name, sourceIp, 'totp', true);
    return this.#finish(name, account.role, sourceIp, 'password+totp');
  }

  /** The security key's answer to the challenge given after the password. */
  async key(name: string, response: unknown, challenge: string, rp: RelyingParty, sourceIp: string): Promise<LoginStep> {
    const banned = this.banned(sourceIp);
    if (banned) return banned;
    const account = await this.#d.accounts.getWebAccount(name);
    if (!account) return this.#refuse(name, sourceIp, 'webauthn', false);
    const check = await checkAssertion(this.#d.accounts, name, response, challenge, rp);
    if (!check.ok) return this.#refuse(name, sourceIp, 'webauthn', true, check.reason);
    return this.#finish(name, account.role, sourceIp, 'password+webauthn');
  }

  /** Takes in bans made by other nodes (through the store): a flood banned on one is refused by all. */
  async adoptBans(): Promise<void> {
    const bans = await this.#d.accounts.sourceBans(new Date().toISOString());
    this.#d.throttle.adopt(bans.filter((b) => b.ip.startsWith('web:')));
  }

  /** Forgets addresses with nothing left to remember. */
  sweep(): Promise<void> {
    return this.#d.throttle.sweep();
  }

  async #finish(name: string, role: WebRole, sourceIp: string, method: 'password' | 'password+totp' | 'password+webauthn'): Promise<LoginStep> {
    const lock = await this.#d.accounts.clearWebFailuresUnlessLocked(name);
    if (lock.lockedUntil) {
      await this.#d.audit.record('WebLoginFailure', { user: name, sourceIp }, { step: 'locked', until: lock.lockedUntil, reason: 'account locked' });
      return { ok: false, message: REFUSED };
    }
    await this.#d.audit.record('WebLogin', { user: name, sourceIp }, { role, method });
    return { ok: true, name, role };
  }

  async #refuse(name: string, sourceIp: string, step: 'password' | 'totp' | 'webauthn', count: boolean, why?: string): Promise<LoginStep> {
    const { lockAfter, lockMinutes } = this.#d.rules();
    const lock = count ? await this.#d.accounts.recordWebFailure(name, lockAfter, lockMinutes * 60) : undefined;
    const reason = !count ? 'unknown account' : step === 'webauthn' ? `security key refused: ${why}` : `wrong ${step === 'totp' ? 'code' : 'password'}`;
    await this.#d.audit.record('WebLoginFailure', { user: name, sourceIp }, { step, ...(lock?.lockedUntil ? { until: lock.lockedUntil } : {}), reason });
    await this.countFailure(sourceIp);
    return { ok: false, message: REFUSED };
  }

  /** A failed console login from this address (password or single sign-on): toward its ban, after a growing delay. */
  async countFailure(sourceIp: string): Promise<void> {
    const { delayMs, banned } = await this.#d.throttle.failure(webBanKey(sourceIp));
    if (banned) {
      const until = new Date(Date.now() + this.#d.banSeconds * 1000).toISOString();
      await this.#d.audit.record('WebAddressBanned', { sourceIp }, { until, reason: `too many failed console logins, banned for ${this.#d.banSeconds}s` });
      await this.#d.accounts.banSource(webBanKey(sourceIp), until).catch(() => undefined); // the other nodes learn it
    }
    // As for SSH: growing delays before the answer, so a guesser slows down only itself.
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
}
