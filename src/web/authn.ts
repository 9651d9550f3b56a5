// Who is asking, decided in one place for every request: a console session's cookie for pages and the API, or an API
// bearer token for /api/* only (never a page). Tokens are 32 random bytes; the store keeps their SHA-256, so a token
// is found by the hash of what was sent (no secret is compared). Login methods (password with a second factor today;
// SSO later) plug in through LoginMethod and end by opening a session.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebAccounts, WebIdentity, WebRole, WebTokenRecord } from '../store/store.js';
import type { ConsoleSession, ConsoleSessions } from './console-sessions.js';
import type { SsoGrants } from './sso-grants.js';
import { LINK_URL } from '../auth/request-links.js';

export const SESSION_COOKIE = '__Host-fumidai-session';
export const PENDING_COOKIE = '__Host-fumidai-login';
// __Host-: the browser keeps it only if Secure, path / and no Domain, so a sibling host cannot plant one.
export const COOKIE = { path: '/', httpOnly: true, secure: true, sameSite: 'strict' } as const;

export const TOKEN_PREFIX = 'fmd_';
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');
const BEARER = /^Bearer (fmd_[A-Za-z0-9_-]{43})$/;

/** Why a token is refused at `now` (one line for the JSON answer), or undefined when it is good. */
export function tokenProblem(t: WebTokenRecord | undefined, now: Date): string | undefined {
  if (!t) return 'unknown token';
  if (t.revokedAt) return `token '${t.name}' is revoked`;
  if (t.expiresAt && t.expiresAt <= now.toISOString()) return `token '${t.name}' expired at ${t.expiresAt}`;
  return undefined;
}

/** What a login method gets: the way to end a login with a session. */
export interface LoginContext {
  sessions: ConsoleSessions;
  /** Opens a session for an account that passed every step, sets its cookie and goes to the sessions list. */
  openSession(reply: FastifyReply, name: string, role: WebRole): Promise<FastifyReply>;
}

/** A way to log in to the console: its routes, and the paths they need before there is a session. */
export interface LoginMethod {
  readonly openPaths: readonly string[];
  register(app: FastifyInstance, ctx: LoginContext): void;
}

export interface AuthnDeps {
  sessions: ConsoleSessions;
  accounts: Pick<WebAccounts, 'getWebAccount'>;
  tokens: Pick<WebIdentity, 'webTokenByHash' | 'touchWebToken'>;
  openPaths: ReadonlySet<string>;
  /** Single sign-on sessions re-checked at the IdP (absent: no single sign-on). */
  sso?: Pick<SsoGrants, 'vouch'>;
}

/** The console session of a cookie, its idle clock reset; undefined when unknown, idle too long or its account is gone. */
export async function cookieSession(deps: Pick<AuthnDeps, 'sessions' | 'accounts' | 'sso'>, cookie: string | undefined): Promise<ConsoleSession | undefined> {
  const session = await deps.sessions.touch(cookie);
  // A single sign-on session lasts while the IdP vouches for it (without the re-checker: it is not good at all).
  if (session?.via === 'sso') return deps.sso ? deps.sso.vouch(cookie!, session) : undefined;
  // A removed account's sessions end at their next request.
  return session && (await deps.accounts.getWebAccount(session.name)) ? session : undefined;
}

/** The onRequest hook: sets req.consoleSession (an account's session, or a token as a principal of its role). */
export function authnHook(deps: AuthnDeps) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    const path = req.url.split('?')[0]!;
    if (deps.openPaths.has(path)) return;
    const api = path.startsWith('/api/');
    const authorization = req.headers.authorization;
    if (api && authorization !== undefined) {
      const m = BEARER.exec(authorization);
      if (!m) return reply.code(401).send({ error: `malformed Authorization header: expected 'Bearer ${TOKEN_PREFIX}...'` });
      const now = new Date();
      const token = await deps.tokens.webTokenByHash(tokenHash(m[1]!));
      const problem = tokenProblem(token, now);
      if (problem) return reply.code(401).send({ error: problem });
      await deps.tokens.touchWebToken(token!.name, now);
      req.consoleSession = { name: token!.name, role: token!.role, lastSeen: now.getTime() } satisfies ConsoleSession;
      return;
    }
    const session = await cookieSession(deps, req.cookies[SESSION_COOKIE]);
    if (session) {
      req.consoleSession = session;
      return;
    }
    if (api) return reply.code(401).send({ error: 'not logged in' });
    // A request's signed link: the login goes on to it (single sign-on carries `next` through the IdP).
    if (req.method === 'GET' && LINK_URL.test(req.url)) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    return reply.redirect('/login', 303);
  };
}
