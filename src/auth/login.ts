// The authentication state machine of one outer connection: public key, then (if required) a TOTP code through
// keyboard-interactive, with per-user lockout and per-address delays. Every failure is an event with its reason.
// The lock is checked at every step, the last one atomic with clearing the failures, so a connection that reached
// the code prompt before the user was locked gets no further; and only a few connections per user wait there at once.
import type { AuthContext, KeyboardAuthContext } from 'ssh2';
import { fail, FumidaiError } from '../errors.js';
import { matchStep, newSecretBase32, otpauthUri } from '../mfa/totp.js';
import QRCode from 'qrcode';
import { checkPublicKey } from './key-check.js';
import { checkCertificate, isCertificateAlgo, type TrustedCas } from './cert-check.js';
import type { SourceThrottle } from './throttle.js';
import type { PendingMfa } from './pending-mfa.js';
import { auditUnavailable, type AuditTrail } from '../audit/trail.js';
import type { Config } from '../config/schema.js';
import type { SeedBox } from '../mfa/seed-box.js';
import type { AuthState, Certificates, Directory, UserRecord } from '../store/store.js';
import type { CertificateFacts, EventName } from '../audit/events.js';
import type { EventFields } from '../audit/trail.js';
import type { SshAlgorithms } from '../ssh/negotiated.js';
import type { IdpLogin, OidcIdp } from '../identity/oidc.js';
import { deviceApproval } from './oidc-login.js';

/** A key or certificate checked: the user it names, or why not (userName: who a refused certificate named). */
type KeyOutcome =
  | { kind: 'query-ok' }
  | { kind: 'success'; user: UserRecord; fingerprint: string; certificate?: CertificateFacts; ownCa?: boolean }
  | { kind: 'failure'; reason: string; fingerprint?: string; counts: boolean; userName?: string };

type Pending =
  | { kind: 'totp'; user: string; fingerprint: string; secret: string | undefined; enrolling?: boolean; certificate?: CertificateFacts }
  /** auth.secondFactor oidc: the login waits for an approval at the IdP (device flow). */
  | { kind: 'oidc'; user: string; fingerprint: string; certificate?: CertificateFacts }
  /** Refused (locked out, or too many waiting): the client is told why at its next step. */
  | { kind: 'refused'; user: string; message: string };

/** The authenticated client behind a connection (outer, or inner for ProxyJump). */
export interface Caller {
  user: string;
  sourceIp: string;
  sourcePort: number;
  keyFingerprint: string;
  /** Whether this login gave a second factor (or a certificate the policy lets stand for one). */
  mfa: boolean;
  /** The public key blob the client logged in with (a certificate login: the certificate). */
  publicKey?: Buffer;
  /** The certificate this login used in place of a registered key: the re-check asks whether it was revoked. */
  certificate?: CertificateFacts;
  /** That certificate is of fumidai's own CA (not another trusted one). */
  ownCa?: boolean;
  /** The code was skipped for the certificate because some rule waives it: only such rules let this login through. */
  codeSkipped?: boolean;
  /** A single sign-on login: who approved it at the IdP, and the access token the re-check asks the IdP with. */
  sso?: IdpLogin;
}

/** What a certificate login uses: the CAs trusted now, the clock skew allowed, and the policy's TOTP waiver. */
export interface CertLogin {
  trusted(): TrustedCas;
  clockSkewSec(): number;
  waivesMfa(ownCa: boolean): Promise<boolean>;
  /** Whether some policy rule's `waiveWithCertificate` covers such a certificate (the decision then asks per rule). */
  rulesWaiveMfa(ownCa: boolean): Promise<boolean>;
}

/** What a login may use: the users and keys it checks, the state it leaves (lockouts, used codes, bans), the trail. */
export interface LoginDeps {
  store: AuthState & Pick<Directory, 'findKey' | 'getUser'> & Pick<Certificates, 'certRevocation'>;
  certs: CertLogin;
  audit: AuditTrail;
  auth: Config['auth'];
  seeds: SeedBox;
  throttle: SourceThrottle;
  pendingMfa: PendingMfa;
  /** The IdP for auth.secondFactor: oidc. */
  oidc?: OidcIdp;
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
  #keyBlob: Buffer | undefined;
  #ownCa = false;
  /** The code was skipped for a certificate under a rule's waiver (Caller.codeSkipped). */
  #codeSkipped = false;
  /** The policy may waive the code for a certificate: after the key, the client may still offer one. */
  #certMayFollow = false;
  /** The user whose place among those waiting at the code prompt this connection holds. */
  #holds: string | undefined;
  result: LoginResult | undefined;
  /** Called when the connection must be cut (too many attempts). */
  onGiveUp: () => void = () => undefined;
  /** Shows the client a line before its next prompt or failure (an authentication banner). */
  say: (line: string) => void = () => undefined;
  /** What the key exchange agreed on, for the AuthSuccess event. */
  algorithms: SshAlgorithms | undefined;
  #saidUnavailable = false;
  /** Ends a device-flow poll when the connection goes. */
  #gone = new AbortController();

  constructor(deps: LoginDeps, source: { sourceIp: string; sourcePort: number }) {
    this.#deps = deps;
    this.#source = source;
  }

  /** The connection ended: its place at the code prompt is given back. */
  close(): void {
    this.#gone.abort();
    this.#release();
  }

  #release(): void {
    if (this.#holds !== undefined) this.#deps.pendingMfa.leave(this.#holds);
    this.#holds = undefined;
  }

  /** Only a connection at the code prompt holds a place among the user's waiting ones. */
  #setPending(pending: Pending | undefined): void {
    this.#pending = pending;
    if (pending?.kind !== 'totp' && pending?.kind !== 'oidc') this.#release();
  }

  /** The USER_LOCKED line while a lock is in force, after its AuthFailure event; undefined when the user may go on. */
  async #lockedOut(user: string, method: AuthContext['method'], fingerprint?: string): Promise<string | undefined> {
    const lock = await this.#deps.store.getUserLock(user);
    if (!lock.lockedUntil || Date.parse(lock.lockedUntil) <= Date.now()) return undefined;
    await this.#event('AuthFailure', user, { reason: `locked until ${lock.lockedUntil}`, method, ...(fingerprint ? { fingerprint } : {}) });
    return fail('USER_LOCKED', user, lock.lockedUntil).line;
  }

  /** Refuses this step and every later one with `message`, which the client is shown at its next step. */
  #refuseFromNowOn(ctx: AuthContext, user: string, message: string): void {
    this.#setPending({ kind: 'refused', user, message });
    ctx.reject(['keyboard-interactive'], true);
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
    // After a partial success, ssh offers its keys again from the first: only a certificate can still change anything
    // (the waiver), so plain keys are turned down uncounted (as sshd refuses a key already used), and the client moves
    // on to its certificate, then to the code.
    if (this.#pending && ctx.method === 'publickey' && !isCertificateAlgo(ctx.key.algo)) return ctx.reject(this.#methods());
    const outcome = await this.#checkKey(ctx);
    if (outcome.kind === 'query-ok') return ctx.accept();
    if (outcome.kind === 'failure') {
      if (!outcome.counts) return ctx.reject(this.#methods());
      await this.#event('AuthFailure', outcome.userName, { reason: outcome.reason, sshUser: ctx.username, method: ctx.method, fingerprint: outcome.fingerprint });
      // A certificate refused is said to the client: stock ssh shows only "Permission denied" otherwise.
      return this.#refuse(ctx, this.#methods(), false, outcome.reason.startsWith('certificate') ? fail('CERT_REFUSED', outcome.reason.replace(/^certificate /, '')).line : undefined);
    }
    const user = outcome.user.name;
    const certificate = outcome.certificate;
    this.#keyType = ctx.method === 'publickey' ? ctx.key.algo : '';
    this.#keyBlob = ctx.method === 'publickey' ? ctx.key.data : undefined;
    const locked = await this.#lockedOut(user, 'publickey', outcome.fingerprint);
    if (locked) return this.#refuseFromNowOn(ctx, user, locked);
    const enrolled = await this.#deps.store.getMfa(user);
    const waived = certificate !== undefined && (await this.#deps.certs.waivesMfa(outcome.ownCa === true));
    this.#ownCa = outcome.ownCa === true;
    if (waived) return this.#succeed(ctx, user, outcome.fingerprint, true, certificate, true);
    const wouldAsk = this.#deps.auth.secondFactor === 'oidc' || enrolled || this.#deps.auth.mfa === 'required';
    if (certificate && wouldAsk && (await this.#deps.certs.rulesWaiveMfa(this.#ownCa))) {
      this.#codeSkipped = true;
      return this.#succeed(ctx, user, outcome.fingerprint, false, certificate);
    }
    if (this.#deps.auth.secondFactor === 'oidc') {
      const full = await this.#takePlace(user, outcome.fingerprint);
      if (full) return this.#refuseFromNowOn(ctx, user, full);
      this.#setPending({ kind: 'oidc', user, fingerprint: outcome.fingerprint, ...(certificate ? { certificate } : {}) });
      await this.#event('AuthPartial', user, { method: 'publickey', fingerprint: outcome.fingerprint });
      return ctx.reject(this.#methods(), true);
    }
    if (enrolled || this.#deps.auth.mfa === 'required') {
      // ssh offers a key before its certificate: where a certificate may waive the code, it gets its turn first, and
      // a place among the logins waiting at the code prompt is taken only when the prompt comes.
      const certMayFollow = !certificate && ((await this.#deps.certs.waivesMfa(true)) || (await this.#deps.certs.rulesWaiveMfa(true)));
      const full = certMayFollow ? undefined : await this.#takePlace(user, outcome.fingerprint);
      if (full) return this.#refuseFromNowOn(ctx, user, full);
      const secret = enrolled && this.#deps.seeds.open(enrolled.secretEnc, user);
      this.#setPending({ kind: 'totp', user, fingerprint: outcome.fingerprint, secret: secret || undefined, ...(certificate ? { certificate } : {}) });
      await this.#event('AuthPartial', user, { method: 'publickey', fingerprint: outcome.fingerprint });
      this.#certMayFollow = certMayFollow;
      return ctx.reject(this.#methods(), true);
    }
    await this.#succeed(ctx, user, outcome.fingerprint, false, certificate);
  }

  /** A certificate is checked as one (cert-check.ts); any other key against the registered ones. */
  async #checkKey(ctx: AuthContext): Promise<KeyOutcome> {
    if (ctx.method !== 'publickey' || !isCertificateAlgo(ctx.key.algo)) return checkPublicKey(ctx, this.#deps.store);
    const certs = this.#deps.certs;
    const o = await checkCertificate(ctx, this.#source, { store: this.#deps.store, trusted: certs.trusted(), clockSkewSec: certs.clockSkewSec() });
    return o.kind === 'failure' ? { ...o, counts: true } : o;
  }

  /** A place among the user's logins waiting at the code prompt (auth.maxPendingMfa); the refusal line when full. */
  async #takePlace(user: string, fingerprint: string): Promise<string | undefined> {
    if (this.#holds === user) return undefined;
    this.#release();
    const cap = this.#deps.auth.maxPendingMfa;
    if (!this.#deps.pendingMfa.enter(user, cap)) {
      await this.#event('AuthFailure', user, { reason: `${cap} logins of this user already wait for a verification code (auth.maxPendingMfa)`, method: 'publickey', fingerprint });
      return fail('MFA_PENDING_LIMIT', user, cap).line;
    }
    this.#holds = user;
    return undefined;
  }

  async #secondFactor(ctx: KeyboardAuthContext, pending: Pending): Promise<void> {
    if (pending.kind === 'refused') {
      ctx.prompt([], 'fumidai', pending.message, () => ctx.reject());
      return;
    }
    const full = await this.#takePlace(pending.user, pending.fingerprint);
    if (full) return this.#refuseFromNowOn(ctx, pending.user, full);
    const lockedBefore = await this.#lockedOut(pending.user, ctx.method, pending.fingerprint);
    if (lockedBefore) return this.#refuseFromNowOn(ctx, pending.user, lockedBefore);
    if (pending.kind === 'oidc') return this.#sso(ctx, pending);
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
    // It may have waited at the prompt while failures elsewhere locked the user: the answer is not even looked at.
    const lockedSince = await this.#lockedOut(pending.user, ctx.method, pending.fingerprint);
    if (lockedSince) return this.#refuseFromNowOn(ctx, pending.user, lockedSince);
    const step = matchStep(secret, answers[0] ?? '');
    const fresh = step !== undefined && (await this.#deps.store.useMfaStep(pending.user, step));
    if (step !== undefined && pending.enrolling) {
      await this.#deps.store.setMfa(pending.user, this.#deps.seeds.seal(secret, pending.user));
      await this.#deps.store.useMfaStep(pending.user, step);
      await this.#event('MfaEnrolled', pending.user, { method: 'totp', by: 'self-enrolment at login' });
      return this.#succeed(ctx, pending.user, pending.fingerprint, true, pending.certificate);
    }
    if (fresh) {
      await this.#event('MfaSuccess', pending.user, { method: 'totp' });
      return this.#succeed(ctx, pending.user, pending.fingerprint, true, pending.certificate);
    }
    const reason = step === undefined ? 'wrong code' : 'code already used';
    await this.#event('MfaFailure', pending.user, { reason, method: 'totp' });
    const lock = await this.#deps.store.recordAuthFailure(pending.user, this.#deps.auth.lockAfter, this.#deps.auth.lockMinutes * 60);
    if (lock.lockedUntil) {
      await this.#event('UserLocked', pending.user, { reason: `${lock.consecutiveFailures} consecutive failures`, until: lock.lockedUntil });
      this.#setPending({ kind: 'refused', user: pending.user, message: fail('USER_LOCKED', pending.user, lock.lockedUntil).line });
    }
    // The client only prompts again: the reason is said now (a banner), or a used code looks like a typo.
    return this.#refuse(ctx, ['keyboard-interactive'], true, fail('MFA_CODE_REFUSED', step === undefined ? 'wrong code (is the clock of the device that shows it right?)' : 'that code was already used: each code works once, wait for the next one (a new code every 30 s)').line);
  }

  /** The device flow at the IdP; a denial, an expiry or another user's approval refuses this login for good. */
  async #sso(ctx: KeyboardAuthContext, pending: Extract<Pending, { kind: 'oidc' }>): Promise<void> {
    const idp = this.#deps.oidc;
    const outcome = idp ? await deviceApproval(ctx, idp, pending.user, this.#gone.signal) : { ok: false as const, why: 'no IdP configured (auth.oidc)' };
    if (outcome.ok) {
      const { ok: _, ...sso } = outcome;
      return this.#succeed(ctx, pending.user, pending.fingerprint, true, pending.certificate, false, sso);
    }
    if ('left' in outcome || this.#gone.signal.aborted) return;
    await this.#event('AuthFailure', pending.user, { reason: `single sign-on: ${outcome.why}`, method: ctx.method, fingerprint: pending.fingerprint });
    return this.#refuseFromNowOn(ctx, pending.user, fail('SSO_REFUSED', outcome.why).line);
  }

  /** `waived`: a certificate stood in for the code (mfa is then true without a TOTP); `sso`: the IdP approved instead. */
  async #succeed(ctx: AuthContext, user: string, fingerprint: string, mfa: boolean, certificate?: CertificateFacts, waived = false, sso?: IdpLogin): Promise<void> {
    // The last look at the lock, in one step with clearing the failures: a lock set by now is never cleared.
    const lock = await this.#deps.store.clearFailuresUnlessLocked(user);
    if (lock.lockedUntil) {
      await this.#event('AuthFailure', user, { reason: `locked until ${lock.lockedUntil}`, method: ctx.method, fingerprint });
      return this.#refuseFromNowOn(ctx, user, fail('USER_LOCKED', user, lock.lockedUntil).line);
    }
    // Durable before the client is let in: the trail never lags behind what happened. If it cannot be written, the
    // login is refused with the AUDIT_UNAVAILABLE line (fail closed).
    const second = sso ? 'oidc' : 'totp';
    const method = certificate ? (mfa && !waived ? (`certificate+${second}` as const) : 'certificate') : mfa ? (`publickey+${second}` as const) : 'publickey';
    const idp = sso ? { idp: sso.identity } : {};
    await this.#event('AuthSuccess', user, { method, keyType: this.#keyType, fingerprint, sshUser: ctx.username, ...(this.algorithms ? { algorithms: this.algorithms } : {}), ...(certificate ? { certificate } : {}), ...idp });
    this.#setPending(undefined);
    const caller: Caller = { user, keyFingerprint: fingerprint, mfa, ...this.#source, ...(this.#keyBlob ? { publicKey: this.#keyBlob } : {}), ...(certificate ? { certificate, ownCa: this.#ownCa } : {}), ...(this.#codeSkipped ? { codeSkipped: true } : {}), ...(sso ? { sso } : {}) };
    this.result = { caller, sshUser: ctx.username, mfa };
    ctx.accept();
  }

  /** Counts a failure: delays the answer for this address, bans it after a flood, cuts the connection at the limit. */
  async #refuse(ctx: AuthContext, methods = this.#methods(), partial = false, why?: string): Promise<void> {
    this.#failures++;
    const { delayMs, banned } = await this.#deps.throttle.failure(this.#source.sourceIp);
    // Said before the wait, so that nobody types the next code into a terminal that echoes it.
    if (why) this.say(`${why}${delayMs >= 1000 && !banned ? `; the next prompt comes in ${Math.ceil(delayMs / 1000)} s` : ''}\r\n`);
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
    if (this.#pending?.kind === 'totp' && this.#certMayFollow) return ['publickey', 'keyboard-interactive'];
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
