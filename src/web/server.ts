// The web console's HTTPS listener (Fastify): security headers and a strict CSP on every answer, cookie sessions kept
// in the store, a CSRF token on every state change, and nothing but the login's own paths without a session (authn.ts).
import Fastify, { type FastifyReply } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import { splitHostPort } from '../config/host-port.js';
import type { AuditTrail } from '../audit/trail.js';
import type { DataDir } from '../config/data-dir.js';
import type { SessionIndex, Spool, WebAccounts, WebIdentity } from '../store/store.js';
import { accountRoutes } from './account-routes.js';
import { authnHook, cookieSession, COOKIE, SESSION_COOKIE, type LoginContext } from './authn.js';
import { ConsoleSessions, type ConsoleSession } from './console-sessions.js';
import type { WebLogin } from './login.js';
import { passwordLogin } from './login-routes.js';
import { ssoLogin, type SsoDeps } from './sso-routes.js';
import { SsoGrants } from './sso-grants.js';
import { requestRoutes } from './request-routes.js';
import type { RequestDeps } from './request-actions.js';
import { certRoutes, type CertRouteDeps } from './cert-routes.js';
import { listRoutes } from './list-routes.js';
import { replayRoutes } from './replay-routes.js';
import { sessionRoutes } from './session-routes.js';
import { auditRoutes } from './audit-routes.js';
import { liveRoutes } from './live-routes.js';
import type { LiveDeps } from './live-deps.js';
import type { RecordingCache } from '../shipping/recording-cache.js';
import { CONSOLE_CSS } from './style.js';

export interface WebDeps {
  cert: Buffer;
  key: Buffer;
  login: WebLogin;
  index: SessionIndex;
  audit: Pick<AuditTrail, 'record'>;
  accounts: Pick<WebAccounts, 'getWebAccount'>;
  /** Console sessions, API tokens and security keys: in the store, shared by the nodes. */
  identity: WebIdentity;
  idleMinutes: () => number;
  /** web.rpId: the DNS name security keys are bound to (undefined: each request's host name). */
  rpId: () => string | undefined;
  /** The data directory (audit trail, its key, report, evidence) and the spool (anchored checkpoints): audit-routes.ts. */
  dir: DataDir;
  spool: Pick<Spool, 'spoolList'>;
  /** Where replay keyframe indexes are kept (memory only without it). */
  keyframeDir?: string;
  /** Live view and admin actions (absent: the console only reads). */
  live?: LiveDeps;
  /** Recordings not on this node, fetched from the bucket for replay (absent: local files only). */
  recordings?: Pick<RecordingCache, 'localPath'>;
  /** Console login through the IdP (web.sso with auth.oidc); absent: password accounts only. */
  sso?: SsoDeps;
  /** Just-in-time access requests (the RequestDesk of the SSH commands). */
  requests?: RequestDeps;
  /** Certificates for single sign-on users (the issuer of `ssh USER@bastion cert`). */
  certs?: CertRouteDeps;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

export async function startWeb(deps: WebDeps, listen: string): Promise<{ address: string; close: () => Promise<void> }> {
  const sessions = new ConsoleSessions(deps.identity, () => deps.idleMinutes() * 60_000);
  const grants = deps.sso && new SsoGrants({ ...deps.sso, audit: deps.audit, close: (cookie) => sessions.close(cookie) });
  const sweep = setInterval(() => void Promise.all([sessions.sweep(), deps.login.sweep(), grants?.sweep(deps.idleMinutes() * 60_000)]).catch(() => undefined), 60_000).unref();
  const banSync = setInterval(() => void deps.login.adoptBans().catch(() => undefined), 2000).unref(); // bans made by other nodes
  const login = passwordLogin({ login: deps.login, keys: deps.identity, rpId: deps.rpId, sso: () => !!deps.sso?.roles(), ended: (cookie) => grants?.endedWhy(cookie) });
  const sso = deps.sso && grants && ssoLogin(deps.sso, grants, deps.login);
  const app = Fastify({ https: { cert: deps.cert, key: deps.key }, bodyLimit: 16 * 1024, logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, { sessionPlugin: '@fastify/cookie', cookieKey: '__Host-fumidai-csrf', cookieOpts: { ...COOKIE, signed: false } });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    hsts: { maxAge: 365 * 86400, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onRequest', authnHook({ sessions, accounts: deps.accounts, tokens: deps.identity, ...(grants ? { sso: grants } : {}), openPaths: new Set(['/static/console.css', ...login.openPaths, ...(sso?.openPaths ?? [])]) }));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).type('text/plain').send(status === 403 ? 'refused: missing or wrong CSRF token' : status === 500 ? 'internal error' : err.message);
  });

  const htmlReply = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type('text/html; charset=utf-8').send(body);

  app.get('/static/console.css', (_req, reply) => reply.type('text/css; charset=utf-8').send(CONSOLE_CSS));
  const ctx: LoginContext = {
    sessions,
    openSession: async (reply, name, role) => {
      reply.setCookie(SESSION_COOKIE, await sessions.open(name, role), COOKIE);
      return reply.redirect('/sessions', 303);
    },
  };
  login.register(app, ctx);
  sso?.register(app, ctx);
  app.post('/logout', { preHandler: app.csrfProtection }, async (req, reply) => {
    await sessions.close(req.cookies[SESSION_COOKIE]);
    grants?.forget(req.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, COOKIE);
    return reply.redirect('/login', 303);
  });

  app.get('/', (_req, reply) => reply.redirect('/sessions', 303));
  sessionRoutes(app, { ...deps, inputOf: replayRoutes(app, deps) });
  if (deps.requests) requestRoutes(app, deps.requests);
  if (deps.certs) certRoutes(app, deps.certs);
  listRoutes(app, deps);
  accountRoutes(app, { sessions, keys: deps.identity, audit: deps.audit, rpId: deps.rpId });
  auditRoutes(app, deps);
  await liveRoutes(app, { ...deps, stillIn: (cookie) => cookieSession({ sessions, accounts: deps.accounts, ...(grants ? { sso: grants } : {}) }, cookie).then(Boolean) });

  const { host, port } = splitHostPort(listen);
  await app.listen({ host, port });
  const a = app.server.address();
  const address = a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : listen;
  return {
    address,
    close: async () => {
      clearInterval(sweep);
      clearInterval(banSync);
      await app.close();
    },
  };
}
