// The authentication state machine of one outer connection: public key, then (if required) a TOTP code through
// keyboard-interactive, with per-user lockout and per-address delays. Every failure is an event with its reason.
import type { AuthContext, KeyboardAuthContext } from 'ssh2';
import { fail, FumidaiError } from '../errors.js';
import { matchStep, newSecretBase32, otpauthUri } from '../mfa/totp.js';
import QRCode from 'qrcode';
import { checkPublicKey } from './key-check.js';
import type { SourceThrottle } from './throttle.js';
import { auditUnavailable, type AuditTrail } from '../audit/trail.js';
import type { Config } from '../config/schema.js';
import type { SeedBox } from '../mfa/seed-box.js';
import type { AuthState, Directory } from '../store/store.js';
import type { EventName } from '../audit/events.js';
import type { EventFields } from '../audit/trail.js';
import type { SshAlgorithms } from '../ssh/algorithms.js';

type Pending =
  | { kind: 'totp'; user: string; fingerprint: string; secret: string | undefined; enrolling?: boolean }
  | { kind: 'locked'; user: string; message: string };

/** The authenticated client behind a connection (outer, or inner for ProxyJump). */
export interface Caller {
  user: string;
  sourceIp: string;
  sourcePort: number;
  keyFingerprint: string;
  /** Whether this login gave a second factor. */
  mfa: boolean;
}

/** What a login may use: the users and keys it checks, the state it leaves (lockouts, used codes, bans), the trail. */
export interface LoginDeps {
  store: AuthState & Pick<Directory, 'findKey' | 'getUser'>;
  audit: AuditTrail;
  auth: Config['auth'];
  seeds: SeedBox;
  throttle: SourceThrottle;
}

export interface LoginResult {
  caller: Caller;
  sshUser: string;
  mfa: boolean;
}

export class Login {
  #deps: LoginDeps;
  #source: { sourceIp: string; sourcePort: number };
  #failures = 0;
  #pending: Pending | undefined;
  #keyType = '';
  result: LoginResult | undefined;
  /** Called when the connection must be cut (too many attempts). */
  onGiveUp: () => void = () => undefined;
  /** Shows the client a line before its next prompt or failure (an authentication banner). */
  say: (line: string) => void = () => undefined;
  /** What the key exchange agreed on, for the AuthSuccess event. */
  algorithms: SshAlgorithms | undefined;
  #saidUnavailable = false;

  constructor(deps: LoginDeps, source: { sourceIp: string; sourcePort: number }) {
    this.#deps = deps;
    this.#source = source;
  }

  /** Rejects with AUDIT_UNAVAILABLE if the event cannot be written: every step of a login waits for its event. */
  #event<N extends EventName>(name: N, user: string | undefined, fields: EventFields<N>): Promise<void> {
    return this.#deps.audit.record(name, { ...this.#source, ...(user ? { user } : {}) }, fields).catch((err) => Promise.reject(auditUnavailable(err)));
  }

  /** Answers one authentication attempt. If the store cannot be asked, the attempt fails (nobody gets in unchecked). */
  async handle(ctx: AuthContext): Promise<void> {
    try {
      await this.#attempt(ctx);
    } catch (err) {
      // The store could not be asked, or (fail closed) the trail could not hold the AuthSuccess: either way, refused.
      const audit = err instanceof FumidaiError && err.code === 'AUDIT_UNAVAILABLE';
      if (!this.#saidUnavailable) this.say(`${audit ? err.line : fail('LOGIN_UNAVAILABLE').line}\r\n`); // once, however many keys are tried
      this.#saidUnavailable = true;
      ctx.reject(this.#methods());
      const why = audit ? err.message : `store unavailable: ${(err as { code?: string }).code ?? (err as Error).message}`;
      await this.#event('AuthFailure', undefined, { reason: why, sshUser: ctx.username, method: ctx.method });
      throw err;
    }
  }

  async #attempt(ctx: AuthContext): Promise<void> {
    if (this.#pending && ctx.method === 'keyboard-interactive') return this.#secondFactor(ctx, this.#pending);
    const outcome = await checkPublicKey(ctx, this.#deps.store);
    if (outcome.kind === 'query-ok') return ctx.accept();
    if (outcome.kind === 'failure') {
      if (!outcome.counts) return ctx.reject(this.#methods());
      await this.#event('AuthFailure', undefined, { reason: outcome.reason, sshUser: ctx.username, method: ctx.method, fingerprint: outcome.fingerprint });
      return this.#refuse(ctx);
    }
    const user = outcome.user.name;
    this.#keyType = ctx.method === 'publickey' ? ctx.key.algo : '';
    const lock = await this.#deps.store.getUserLock(user);
    if (lock.lockedUntil && Date.parse(lock.lockedUntil) > Date.now()) {
      const message = fail('USER_LOCKED', user, lock.lockedUntil).line;
      await this.#event('AuthFailure', user, { reason: `locked until ${lock.lockedUntil}`, method: 'publickey', fingerprint: outcome.fingerprint });
      this.#pending = { kind: 'locked', user, message };
      return ctx.reject(['keyboard-interactive'], true); // so the client is told why, in the next step
    }
    const enrolled = await this.#deps.store.getMfa(user);
    if (enrolled || this.#deps.auth.mfa === 'required') {
      const secret = enrolled && this.#deps.seeds.open(enrolled.secretEnc, user);
      this.#pending = { kind: 'totp', user, fingerprint: outcome.fingerprint, secret: secret || undefined };
      await this.#event('AuthPartial', user, { method: 'publickey', fingerprint: outcome.fingerprint });
      return ctx.reject(['keyboard-interactive'], true);
    }
    await this.#succeed(ctx, user, outcome.fingerprint, false);
  }

  async #secondFactor(ctx: KeyboardAuthContext, pending: Pending): Promise<void> {
    if (pending.kind === 'locked') {
      ctx.prompt([], 'fumidai', pending.message, () => ctx.reject());
      return;
    }
    if (!pending.secret && this.#deps.auth.selfEnroll) {
      // Self-enrolment: a new secret is shown once, and kept only after the user confirms a code from it.
      pending.secret = newSecretBase32();
      pending.enrolling = true;
    }
    if (!pending.secret) {
      const message = fail('MFA_NOT_ENROLLED', pending.user).line;
      await this.#event('MfaFailure', pending.user, { reason: 'not enrolled' });
      ctx.prompt([], 'fumidai', message, () => ctx.reject());
      return;
    }
    const secret = pending.secret;
    const instructions = pending.enrolling ? await enrolmentText(secret, pending.user) : '';
    const answers = await new Promise<string[] | Error>((resolve) =>
      // OpenSSH cuts instructions at about 1 KB, not prompts: the enrolment text (QR code and link) leads the prompt.
      ctx.prompt([{ prompt: `${instructions}Verification code: `, echo: false }], 'fumidai', '', (a) => resolve(a as string[] | Error)),
    );
    if (answers instanceof Error) return; // the client gave up
    const step = matchStep(secret, answers[0] ?? '');
    const fresh = step !== undefined && (await this.#deps.store.useMfaStep(pending.user, step));
    if (step !== undefined && pending.enrolling) {
      await this.#deps.store.setMfa(pending.user, this.#deps.seeds.seal(secret, pending.user));
      await this.#deps.store.useMfaStep(pending.user, step);
      await this.#event('MfaEnrolled', pending.user, { method: 'totp', by: 'self-enrolment at login' });
      return this.#succeed(ctx, pending.user, pending.fingerprint, true);
    }
    if (fresh) {
      await this.#event('MfaSuccess', pending.user, { method: 'totp' });
      return this.#succeed(ctx, pending.user, pending.fingerprint, true);
    }
    const reason = step === undefined ? 'wrong code' : 'code already used';
    await this.#event('MfaFailure', pending.user, { reason, method: 'totp' });
    const lock = await this.#deps.store.recordAuthFailure(pending.user, this.#deps.auth.lockAfter, this.#deps.auth.lockMinutes * 60);
    if (lock.lockedUntil) {
      await this.#event('UserLocked', pending.user, { reason: `${lock.consecutiveFailures} consecutive failures`, until: lock.lockedUntil });
      this.#pending = { kind: 'locked', user: pending.user, message: fail('USER_LOCKED', pending.user, lock.lockedUntil).line };
    }
    return this.#refuse(ctx, ['keyboard-interactive'], true);
  }

  async #succeed(ctx: AuthContext, user: string, fingerprint: string, mfa: boolean): Promise<void> {
    await this.#deps.store.clearAuthFailures(user);
    // Durable before the client is let in: the trail never lags behind what happened. If it cannot be written, the
    // login is refused with the AUDIT_UNAVAILABLE line (fail closed).
    await this.#event('AuthSuccess', user, { method: mfa ? 'publickey+totp' : 'publickey', keyType: this.#keyType, fingerprint, sshUser: ctx.username, ...(this.algorithms ? { algorithms: this.algorithms } : {}) });
    this.result = { caller: { user, keyFingerprint: fingerprint, mfa, ...this.#source }, sshUser: ctx.username, mfa };
    ctx.accept();
  }

  /** Counts a failure: delays the answer for this address, bans it after a flood, cuts the connection at the limit. */
  async #refuse(ctx: AuthContext, methods = this.#methods(), partial = false): Promise<void> {
    this.#failures++;
    const { delayMs, banned } = await this.#deps.throttle.failure(this.#source.sourceIp);
    if (banned) {
      void this.#event('SourceBanned', undefined, { reason: `too many failures, banned for ${this.#deps.auth.banSeconds}s` }).catch(() => undefined);
      const until = new Date(Date.now() + this.#deps.auth.banSeconds * 1000).toISOString();
      void this.#deps.store.banSource(this.#source.sourceIp, until).catch(() => undefined); // the other nodes learn it
    }
    if (banned || this.#failures >= this.#deps.auth.maxAttempts) {
      void this.#event('AuthFailure', undefined, { reason: banned ? 'source address banned' : 'too many attempts' }).catch(() => undefined);
      return this.onGiveUp();
    }
    const answer = () => ctx.reject(methods, partial);
    if (delayMs > 0) setTimeout(answer, delayMs).unref();
    else answer();
  }

  #methods(): ('publickey' | 'keyboard-interactive')[] {
    return this.#pending ? ['keyboard-interactive'] : ['publickey'];
  }
}

async function enrolmentText(secret: string, user: string): Promise<string> {
  const uri = otpauthUri(secret, user);
  return `Set up your second factor: scan this code with an authenticator app (or enter the secret from the link), then type the code it shows.\r\n${asciiQr(uri).replaceAll('\n', '\r\n')}\r\n${uri}\r\n`;
}

/**
 * OpenSSH shows keyboard-interactive instructions through strvis(3): anything but printable ASCII arrives as octal
 * escapes, so the QR code is drawn with '#' and spaces (with its quiet zone), which authenticator apps read fine.
 */
function asciiQr(text: string): string {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'L' });
  const size = modules.size;
  const quiet = 2;
  const rows: string[] = [];
  for (let y = -quiet; y < size + quiet; y++) {
    let row = '';
    for (let x = -quiet; x < size + quiet; x++) {
      const dark = x >= 0 && y >= 0 && x < size && y < size && modules.get(y, x);
      row += dark ? '##' : '  ';
    }
    rows.push(row);
  }
  return rows.join('\n');
}
