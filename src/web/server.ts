// The web console's HTTPS listener (Fastify): security headers and a strict CSP on every answer, cookie sessions kept
// on the server, a CSRF token on every state change, and nothing but /login and the stylesheet without a session.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyHelmet from '@fastify/helmet';
import { splitHostPort } from '../config/host-port.js';
import type { AuditTrail } from '../audit/trail.js';
import type { SessionIndex, WebAccounts } from '../store/store.js';
import { sessionSummary } from '../playback/session-summary.js';
import { ConsoleSessions, type ConsoleSession } from './console-sessions.js';
import type { WebLogin } from './login.js';
import { loginPage, orderSessions, sessionsPage, totpPage } from './pages.js';
import { sessionRoutes } from './session-routes.js';
import { liveRoutes } from './live-routes.js';
import type { LiveDeps } from './live-deps.js';
import { CONSOLE_CSS } from './style.js';

export interface WebDeps {
  cert: Buffer;
  key: Buffer;
  login: WebLogin;
  index: SessionIndex;
  audit: Pick<AuditTrail, 'record'>;
  accounts: Pick<WebAccounts, 'getWebAccount'>;
  idleMinutes: () => number;
  /** Live view and admin actions (absent: the console only reads). */
  live?: LiveDeps;
}

const SESSION_COOKIE = '__Host-fumidai-session';
const PENDING_COOKIE = '__Host-fumidai-login';
// __Host-: the browser keeps it only if Secure, path / and no Domain, so a sibling host cannot plant one.
const COOKIE = { path: '/', httpOnly: true, secure: true, sameSite: 'strict' } as const;
const OPEN_PATHS = new Set(['/login', '/login/totp', '/static/console.css']);

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: ConsoleSession;
  }
}

export async function startWeb(deps: WebDeps, listen: string): Promise<{ address: string; close: () => Promise<void> }> {
  const sessions = new ConsoleSessions(() => deps.idleMinutes() * 60_000);
  const sweep = setInterval(() => sessions.sweep(), 60_000).unref();
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
  app.addHook('onRequest', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    const path = req.url.split('?')[0]!;
    if (OPEN_PATHS.has(path)) return;
    const session = sessions.touch(req.cookies[SESSION_COOKIE]);
    // A removed account's sessions end at their next request.
    if (session && (await deps.accounts.getWebAccount(session.name))) {
      req.consoleSession = session;
      return;
    }
    if (path.startsWith('/api/')) return reply.code(401).send({ error: 'not logged in' });
    return reply.redirect('/login', 303);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    void reply.code(status).type('text/plain').send(status === 403 ? 'refused: missing or wrong CSRF token' : status === 500 ? 'internal error' : err.message);
  });

  const form = (req: FastifyRequest) => (req.body ?? {}) as Record<string, string | undefined>;
  const htmlReply = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type('text/html; charset=utf-8').send(body);

  app.get('/static/console.css', (_req, reply) => reply.type('text/css; charset=utf-8').send(CONSOLE_CSS));
  app.get('/login', (_req, reply) => htmlReply(reply, loginPage(reply.generateCsrf())));
  app.post('/login', { preHandler: app.csrfProtection }, async (req, reply) => {
    const { name = '', password = '' } = form(req);
    const r = await deps.login.password(name.slice(0, 64), password.slice(0, 1024), req.ip);
    if (!r.ok) return htmlReply(reply, loginPage(reply.generateCsrf(), r.message), 401);
    if (r.needsCode) {
      reply.setCookie(PENDING_COOKIE, sessions.openPending(r.name), { ...COOKIE, maxAge: 300 });
      return htmlReply(reply, totpPage(reply.generateCsrf()));
    }
    return openSession(reply, r.name, r.role);
  });
  app.post('/login/totp', { preHandler: app.csrfProtection }, async (req, reply) => {
    const name = sessions.takePending(req.cookies[PENDING_COOKIE]);
    reply.clearCookie(PENDING_COOKIE, COOKIE);
    if (!name) return reply.redirect('/login', 303);
    const r = await deps.login.code(name, form(req).code ?? '', req.ip);
    if (!r.ok) return htmlReply(reply, loginPage(reply.generateCsrf(), r.message), 401);
    return openSession(reply, r.name, r.role);
  });
  const openSession = (reply: FastifyReply, name: string, role: ConsoleSession['role']) => {
    reply.setCookie(SESSION_COOKIE, sessions.open(name, role), COOKIE);
    return reply.redirect('/sessions', 303);
  };
  app.post('/logout', { preHandler: app.csrfProtection }, (req, reply) => {
    sessions.close(req.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, COOKIE);
    return reply.redirect('/login', 303);
  });

  const sessionRows = async () => {
    const list = await deps.index.listSessions();
    const rows = await Promise.all(list.map(async (s) => ({ ...s, ...sessionSummary(await deps.index.channelsOf(s.auditKey)) })));
    return orderSessions(rows);
  };
  app.get('/', (_req, reply) => reply.redirect('/sessions', 303));
  app.get('/sessions', async (req, reply) => {
    const who = req.consoleSession!;
    return htmlReply(reply, sessionsPage(await sessionRows(), { name: who.name, role: who.role, csrf: reply.generateCsrf() }));
  });
  app.get('/api/sessions', async () => ({ sessions: await sessionRows() }));
  sessionRoutes(app, deps);
  await liveRoutes(app, deps);

  const { host, port } = splitHostPort(listen);
  await app.listen({ host, port });
  const a = app.server.address();
  const address = a && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : listen;
  return {
    address,
    close: async () => {
      clearInterval(sweep);
      await app.close();
    },
  };
}
