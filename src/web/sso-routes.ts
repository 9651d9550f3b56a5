// Console login through the IdP of auth.oidc (a LoginMethod): authorization code with PKCE. The state, nonce and PKCE
// verifier wait in the store's pending steps (any node may take the callback), keyed by a cookie of this browser, and
// are taken once: a forged or replayed callback finds nothing, or fails openid-client's checks. The IdP's groups give
// the role (web.sso.roles); the session is a single sign-on one, acting as the fumidai user of the IdP's user claim.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../audit/trail.js';
import type { CodeChecks, OidcIdp } from '../identity/oidc.js';
import { COOKIE, SESSION_COOKIE, type LoginMethod } from './authn.js';
import { html, page } from './html.js';
import { ssoRole, type SsoRoles } from './sso-role.js';
import type { SsoGrants } from './sso-grants.js';
import type { WebLogin } from './login.js';
import { LINK_URL } from '../auth/request-links.js';

export interface SsoDeps {
  idp: Pick<OidcIdp, 'codeStart' | 'codeFinish' | 'issuer' | 'recheck'>;
  /** web.url: the redirect URI is URL/login/sso/callback (registered at the IdP). */
  url: () => string | undefined;
  roles: () => SsoRoles | undefined;
  audit: Pick<AuditTrail, 'record'>;
}

const SSO_COOKIE = '__Host-fumidai-sso';
// Lax, not Strict: the callback is a navigation from the IdP's site, and a Strict cookie would not come with it.
const SSO_COOKIE_OPTS = { ...COOKIE, sameSite: 'lax' } as const;
/** The pending step's name: told apart from a password login's second step (which has the account's name). */
const PENDING_NAME = '(single sign-on)';
export const CALLBACK = '/login/sso/callback';

const htmlReply = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type('text/html; charset=utf-8').send(body);

/** A refusal the person reads: one line of why, and the way back. */
const refusedPage = (why: string) =>
  page('Single sign-on refused', html`<section class="login"><h1>Single sign-on refused</h1><p class="error">${why}</p><p><a href="/login">Back to the login page</a></p></section>`);

// The session cookie is Strict: the browser would not send it on the redirect chain that began at the IdP, so the
// callback answers with a page that moves on by itself (a same-site navigation, which carries it).
const signedInPage = (to: string) =>
  `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${to}"><title>Signed in · fumidai</title><link rel="stylesheet" href="/static/console.css"></head><body><main><p>Signed in. <a href="${to}">Continue</a>.</p></main></body></html>`.text}\n`;

/** `bans`: the console's per-address failure count (the password login's): a failed callback counts as a failed login. */
export function ssoLogin(deps: SsoDeps, grants: Pick<SsoGrants, 'add'>, bans: Pick<WebLogin, 'banned' | 'countFailure'>): LoginMethod {
  return {
    openPaths: ['/login/sso', CALLBACK],
    register(app, ctx) {
      const redirectUri = () => `${deps.url()}${CALLBACK}`;
      const refuse = async (req: FastifyRequest, reply: FastifyReply, code: number, why: string, who: { user?: string; issuer?: string; sub?: string; groups?: string[] } = {}) => {
        const { user = '', ...idp } = who;
        await deps.audit.record('WebLoginFailure', { user, sourceIp: req.ip }, { step: 'sso', ...idp, reason: why });
        // A callback refused counts toward the address's ban like a wrong password (an IdP down or no SSO set up: not).
        if (code !== 404 && code !== 502) await bans.countFailure(req.ip);
        return htmlReply(reply, refusedPage(why), code);
      };
      /** A banned address is answered 429 before anything is asked of the IdP or taken from the store. */
      const banned = (req: FastifyRequest, reply: FastifyReply) => {
        const b = bans.banned(req.ip);
        return b && !b.ok ? reply.code(429).type('text/plain; charset=utf-8').send(`${b.message}\n`) : undefined;
      };

      app.get('/login/sso', async (req, reply) => {
        if (banned(req, reply)) return reply;
        if (!deps.url() || !deps.roles()) return refuse(req, reply, 404, 'single sign-on is not configured (web.sso, web.url)');
        let start: Awaited<ReturnType<SsoDeps['idp']['codeStart']>>;
        try {
          start = await deps.idp.codeStart(redirectUri());
        } catch (err) {
          const e = err as { error?: string; code?: string; message?: string };
          return refuse(req, reply, 502, `the IdP could not be reached (${e.error ?? e.code ?? e.message})`);
        }
        // Where to go once signed in: a request's signed link only (never an address from outside).
        const next = (req.query as Record<string, string | undefined>).next;
        const id = await ctx.sessions.openPending(PENDING_NAME, JSON.stringify({ ...start.checks, ...(next && LINK_URL.test(next) ? { next } : {}) }));
        reply.setCookie(SSO_COOKIE, id, { ...SSO_COOKIE_OPTS, maxAge: 300 });
        return reply.redirect(start.url, 303);
      });

      app.get(CALLBACK, async (req, reply) => {
        if (banned(req, reply)) return reply;
        const p = await ctx.sessions.takePending(req.cookies[SSO_COOKIE]);
        reply.clearCookie(SSO_COOKIE, SSO_COOKIE_OPTS);
        const roles = deps.roles();
        if (!p || p.name !== PENDING_NAME || !deps.url() || !roles) return refuse(req, reply, 400, 'no single sign-on under way in this browser (it expired, was used already, or was started elsewhere)');
        const callback = new URL(redirectUri());
        callback.search = new URL(req.url, 'https://console.invalid').search;
        const { next, ...checks } = JSON.parse(p.challenge) as CodeChecks & { next?: string };
        const r = await deps.idp.codeFinish(callback, checks);
        if (!r.ok) return refuse(req, reply, 401, r.why);
        const { issuer, sub, groups } = r.identity;
        const role = ssoRole(groups, roles);
        if (!role) return refuse(req, reply, 403, `'${r.name}' is in no IdP group that may use this console`, { user: r.name, issuer, sub, groups });
        await deps.audit.record('WebLogin', { user: r.name, sourceIp: req.ip }, { role, method: 'oidc', issuer, sub, groups });
        const cookie = await ctx.sessions.open(r.name, role, 'sso');
        grants.add(cookie, r.name, role, r.login); // the IdP's tokens stay on the server, for the re-check
        reply.setCookie(SESSION_COOKIE, cookie, COOKIE);
        return htmlReply(reply, signedInPage(next && LINK_URL.test(next) ? next : '/sessions'));
      });
    },
  };
}
