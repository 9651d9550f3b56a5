// The password login (a LoginMethod): password, then the account's security key or TOTP code. A banned address is
// answered 429 before any check. A step half done lives in the store (any node may take the next request).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebIdentity } from '../store/store.js';
import { LINK_URL } from '../auth/request-links.js';
import { COOKIE, PENDING_COOKIE, SESSION_COOKIE, type LoginContext, type LoginMethod } from './authn.js';
import { keyLoginPage, WEBAUTHN_JS } from './ident-pages.js';
import type { LoginStep, WebLogin } from './login.js';
import { loginPage, totpPage } from './pages.js';
import { authenticationOptions, relyingParty } from './webauthn.js';

export interface PasswordLoginDeps {
  login: WebLogin;
  keys: Pick<WebIdentity, 'webAuthnCredentials'>;
  rpId: () => string | undefined;
  /** Single sign-on is offered beside the password (web.sso). */
  sso?: () => boolean;
  /** Why the session of this cookie was ended (single sign-on no longer vouched for it): the login page's one line. */
  ended?: (cookie: string | undefined) => string | undefined;
}

const require = createRequire(import.meta.url);
// The package exports its scripts only, so the bundle is found beside its CommonJS entry.
const browserBundle = () => readFileSync(join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist', 'bundle', 'index.umd.min.js'));

type Form = Record<string, string | undefined>;
const form = (req: FastifyRequest) => (req.body ?? {}) as Form;
const htmlReply = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type('text/html; charset=utf-8').send(body);

export function passwordLogin(deps: PasswordLoginDeps): LoginMethod {
  return {
    openPaths: ['/login', '/login/totp', '/login/webauthn', '/static/simplewebauthn-browser.js', '/static/console-webauthn.js'],
    register(app: FastifyInstance, ctx: LoginContext) {
      const bundle = browserBundle();
      app.get('/static/simplewebauthn-browser.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(bundle));
      app.get('/static/console-webauthn.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(WEBAUTHN_JS));
      /** A refusal: 429 for a banned address (nothing was checked), else 401 with the login form again. */
      const refused = (reply: FastifyReply, r: Extract<LoginStep, { ok: false }>) =>
        r.banned ? reply.code(429).type('text/plain; charset=utf-8').send(`${r.message}\n`) : htmlReply(reply, loginPage(reply.generateCsrf(), r.message, deps.sso?.()), 401);
      const pending = async (reply: FastifyReply, name: string, challenge?: string): Promise<void> => {
        reply.setCookie(PENDING_COOKIE, await ctx.sessions.openPending(name, challenge), { ...COOKIE, maxAge: 300 }); // (a reply is thenable: not returned)
      };

      app.get('/login', (req, reply) => {
        const next = (req.query as Record<string, string | undefined>).next;
        const ended = deps.ended?.(req.cookies[SESSION_COOKIE]);
        if (ended) reply.clearCookie(SESSION_COOKIE, COOKIE);
        return htmlReply(reply, loginPage(reply.generateCsrf(), ended, deps.sso?.(), next && LINK_URL.test(next) ? next : undefined));
      });
      app.post('/login', { preHandler: app.csrfProtection }, async (req, reply) => {
        const { name = '', password = '' } = form(req);
        const r = await deps.login.password(name.slice(0, 64), password.slice(0, 1024), req.ip);
        if (!r.ok) return refused(reply, r);
        if (r.needs === 'webauthn') {
          const rp = relyingParty(req.headers.host, deps.rpId());
          // The account's keys cannot answer here (an IP address): the login stops rather than falling back to less.
          if (!rp) return htmlReply(reply, loginPage(reply.generateCsrf(), 'This account logs in with a security key: reach the console by its DNS name.', deps.sso?.()), 401);
          const options = await authenticationOptions(await deps.keys.webAuthnCredentials(r.name), rp);
          await pending(reply, r.name, options.challenge);
          return htmlReply(reply, keyLoginPage(reply.generateCsrf(), options));
        }
        if (r.needs === 'totp') {
          await pending(reply, r.name);
          return htmlReply(reply, totpPage(reply.generateCsrf()));
        }
        return ctx.openSession(reply, r.name, r.role);
      });
      app.post('/login/totp', { preHandler: app.csrfProtection }, async (req, reply) => {
        const p = await ctx.sessions.takePending(req.cookies[PENDING_COOKIE]);
        reply.clearCookie(PENDING_COOKIE, COOKIE);
        if (!p || p.challenge) return reply.redirect('/login', 303);
        const r = await deps.login.code(p.name, form(req).code ?? '', req.ip);
        return r.ok ? ctx.openSession(reply, r.name, r.role) : refused(reply, r);
      });
      app.post('/login/webauthn', { preHandler: app.csrfProtection }, async (req, reply) => {
        const p = await ctx.sessions.takePending(req.cookies[PENDING_COOKIE]);
        reply.clearCookie(PENDING_COOKIE, COOKIE);
        const rp = relyingParty(req.headers.host, deps.rpId());
        if (!p || !p.challenge || !rp) return reply.redirect('/login', 303);
        let response: unknown;
        try {
          response = JSON.parse(form(req).response ?? '');
        } catch {
          response = undefined;
        }
        const r = await deps.login.key(p.name, response, p.challenge, rp, req.ip);
        return r.ok ? ctx.openSession(reply, r.name, r.role) : refused(reply, r);
      });
    },
  };
}
