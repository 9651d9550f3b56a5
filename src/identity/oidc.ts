// The OpenID provider as fumidai uses it, through openid-client (a certified relying party: discovery, the device
// authorization grant of RFC 8628, ID token and userinfo checks; no token is checked by hand here). What the claims
// mean is decided in oidc-claims.ts.
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import type { Config } from '../config/schema.js';
import { consoleIdentityOf, identityOf, type Claims, type IdpIdentity } from './oidc-claims.js';

export type OidcConfig = NonNullable<Config['auth']['oidc']>;

/** A device authorization under way: what the user is shown, and what the poll needs. */
export interface DeviceStart {
  verificationUri: string;
  verificationUriComplete?: string;
  userCode: string;
  expiresInSec: number;
  response: client.DeviceAuthorizationResponse;
}

/** A login the IdP approved: who, and the tokens the re-check asks the IdP with (never logged). */
export interface IdpLogin {
  identity: IdpIdentity;
  accessToken: string;
  refreshToken?: string;
  /** When the IdP last vouched for it (ms). */
  checkedAt: number;
}

/** A browser login started (authorization code with PKCE): where the browser goes, and what its callback must match. */
export interface CodeStart {
  url: string;
  checks: CodeChecks;
}

/** Kept on the server (never in the browser) until the callback: one use. */
export interface CodeChecks {
  state: string;
  nonce: string;
  verifier: string;
}

/** A console login: its name, and what the IdP gave (kept on the server for the re-check, never in a cookie). */
export type CodeOutcome = { ok: true; name: string; identity: IdpIdentity; login: IdpLogin } | { ok: false; why: string };

export type DeviceOutcome =
  | ({ ok: true } & IdpLogin)
  /** why: for the user and the trail (never a token). */
  | { ok: false; why: string };

/** The client secret from its file (relative to the data directory) or its environment variable; none: a public client. */
export function readClientSecret(cfg: OidcConfig, dataPath: (p: string) => string, env = process.env): string | undefined {
  if (cfg.clientSecretFile) return readFileSync(dataPath(cfg.clientSecretFile), 'utf8').trim();
  return env[cfg.clientSecretEnv] || undefined;
}

/** An IdP silent for longer than auth.oidc.outageGrace: told to the caller's audit trail before the login ends. */
export interface IdpOutageFacts {
  user: string;
  issuer: string;
  sub: string;
  silentSec: number;
  graceSec: number;
}

export class OidcIdp {
  #cfg: OidcConfig;
  #secret: string | undefined;
  #discovered: Promise<client.Configuration> | undefined;
  #onOutage: (facts: IdpOutageFacts) => Promise<unknown>;

  constructor(cfg: OidcConfig, secret: string | undefined, onOutage: (facts: IdpOutageFacts) => Promise<unknown> = async () => undefined) {
    this.#cfg = cfg;
    this.#secret = secret;
    this.#onOutage = onOutage;
  }

  get issuer(): string {
    return this.#cfg.issuer;
  }

  /** Discovery once; a failed one is tried again at the next login (the IdP may have been down). */
  #config(): Promise<client.Configuration> {
    const cfg = this.#cfg;
    this.#discovered ??= client
      .discovery(new URL(cfg.issuer), cfg.clientId, undefined, this.#secret ? client.ClientSecretPost(this.#secret) : client.None(), {
        // Plain http only where the schema allowed it: a loopback issuer with allowInsecureLoopback (tests).
        ...(cfg.allowInsecureLoopback && cfg.issuer.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {}),
        timeout: 10,
      })
      .catch((err) => {
        this.#discovered = undefined;
        throw err;
      });
    return this.#discovered;
  }

  async start(): Promise<DeviceStart> {
    const response = await client.initiateDeviceAuthorization(await this.#config(), { scope: this.#cfg.scopes.join(' ') });
    return {
      verificationUri: response.verification_uri,
      ...(response.verification_uri_complete ? { verificationUriComplete: response.verification_uri_complete } : {}),
      userCode: response.user_code,
      expiresInSec: response.expires_in,
      response,
    };
  }

  /**
   * Polls the token endpoint at the interval the IdP asks for until the user approves, denies, or the code expires;
   * then takes the ID token's claims (checked by openid-client) with the userinfo ones (same subject, checked too).
   */
  async finish(start: DeviceStart, user: string, signal: AbortSignal): Promise<DeviceOutcome> {
    const config = await this.#config();
    let tokens: Awaited<ReturnType<typeof client.pollDeviceAuthorizationGrant>>;
    try {
      tokens = await client.pollDeviceAuthorizationGrant(config, start.response, undefined, { signal });
    } catch (err) {
      return { ok: false, why: pollFailure(err, signal) };
    }
    const idClaims = tokens.claims();
    if (!idClaims) return { ok: false, why: 'the IdP sent no ID token (is the openid scope asked for?)' };
    const claims = { ...(await this.#userinfo(config, tokens.access_token, idClaims.sub)), ...idClaims } as Claims;
    const id = identityOf(claims, this.#cfg.issuer, user, this.#cfg);
    if (!id.ok) return id;
    return { ok: true, identity: id.identity, accessToken: tokens.access_token, ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}), checkedAt: Date.now() };
  }

  /** The IdP's authorization URL for a browser login, with a fresh state, nonce and PKCE verifier (S256). */
  async codeStart(redirectUri: string): Promise<CodeStart> {
    const config = await this.#config();
    const checks = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier() };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.#cfg.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(checks.verifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
    return { url: url.href, checks };
  }

  /**
   * The browser's return: openid-client checks the state, exchanges the code with the PKCE verifier, checks the ID
   * token and its nonce; the claims (ID token with userinfo's) name the console user.
   */
  async codeFinish(callback: URL, checks: CodeChecks): Promise<CodeOutcome> {
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    let config: client.Configuration;
    try {
      config = await this.#config();
      tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true });
    } catch (err) {
      // The IdP's error code where it sent one (access_denied...), else what openid-client found wrong (the state...).
      const e = err as { error?: string; message?: string; cause?: { message?: string } };
      return { ok: false, why: `the IdP's answer was refused (${e.error ?? e.cause?.message ?? e.message ?? errorCode(err)})` };
    }
    const idClaims = tokens.claims();
    if (!idClaims) return { ok: false, why: 'the IdP sent no ID token (is the openid scope asked for?)' };
    let info: Claims;
    try {
      info = await this.#userinfo(config, tokens.access_token, idClaims.sub);
    } catch (err) {
      return { ok: false, why: `the IdP's userinfo failed (${errorCode(err)})` };
    }
    const id = consoleIdentityOf({ ...info, ...idClaims } as Claims, this.#cfg.issuer, this.#cfg);
    if (!id.ok) return id;
    const login: IdpLogin = { identity: id.identity, accessToken: tokens.access_token, ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}), checkedAt: Date.now() };
    return { ...id, login };
  }

  /**
   * Deprovisioning: once the last answer is older than auth.oidc.recheckInterval, the IdP is asked again (a refresh
   * token first, where it gave one, so the check outlives the access token; then userinfo). New groups replace the
   * old ones in `login` (the policy decides with them); a refusal by the IdP is the reason to end the session. An IdP
   * that cannot be reached is asked again at the next re-check, until auth.oidc.outageGrace has passed since its last
   * good answer: then the login ends (fail closed: nobody can tell a disabled user from a silent IdP).
   */
  async recheck(login: IdpLogin, user: string, now = Date.now()): Promise<string | undefined> {
    if (now - login.checkedAt < this.#cfg.recheckInterval * 1000) return undefined;
    try {
      const config = await this.#config();
      if (login.refreshToken) {
        const tokens = await client.refreshTokenGrant(config, login.refreshToken);
        login.accessToken = tokens.access_token;
        if (tokens.refresh_token) login.refreshToken = tokens.refresh_token;
      }
      const claims = await this.#userinfo(config, login.accessToken, login.identity.sub);
      const id = identityOf({ ...claims, sub: login.identity.sub }, this.#cfg.issuer, user, this.#cfg);
      if (!id.ok) return `single sign-on: ${id.why}`;
      login.identity = id.identity;
      login.checkedAt = now;
      return undefined;
    } catch (err) {
      if (refusedByIdp(err)) return `single sign-on: the IdP no longer accepts this login (${errorCode(err)})`;
      const silentSec = Math.floor((now - login.checkedAt) / 1000);
      const graceSec = this.#cfg.outageGrace;
      if (silentSec <= graceSec) return undefined;
      await this.#onOutage({ user, issuer: this.#cfg.issuer, sub: login.identity.sub, silentSec, graceSec }).catch(() => undefined);
      return `single sign-on: the IdP has not answered for ${silentSec} s (${errorCode(err)}), longer than auth.oidc.outageGrace (${graceSec} s)`;
    }
  }

  async #userinfo(config: client.Configuration, accessToken: string, sub: string): Promise<Claims> {
    return (await client.fetchUserInfo(config, accessToken, sub)) as Claims;
  }
}

/** An answer of the IdP that refuses the token or grant (not a network failure or an IdP that is down). */
function refusedByIdp(err: unknown): boolean {
  const e = err as { error?: unknown; code?: string; status?: number };
  return typeof e.error === 'string' || e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' || e.status === 401 || e.status === 403;
}

/** The OAuth error code (of the body, or of a WWW-Authenticate challenge), else what failed; never a token. */
function errorCode(err: unknown): string {
  const e = err as { error?: string; code?: string; message?: string; cause?: unknown };
  const challenge = Array.isArray(e.cause) ? (e.cause as { parameters?: { error?: string } }[]).find((c) => c.parameters?.error)?.parameters?.error : undefined;
  return e.error ?? challenge ?? e.code ?? e.message ?? String(err);
}

/** The reason a person reads for a poll that ended without tokens. */
function pollFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'the client left before the login was approved';
  const code = errorCode(err);
  if (code === 'access_denied') return 'the login was denied at the IdP';
  if (code === 'expired_token' || (err as Error).name === 'TimeoutError') return 'the code expired before it was approved';
  return `the IdP answered ${code}`;
}
