// The Account page: the logged-in account's security keys, the registration of a new one (WebAuthnRegistered) and the
// removal of one (WebAuthnRemoved): its own keys only, and never its last second factor (no other key and no TOTP).
// The registration's challenge waits in the store under a key derived from the session's cookie.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../audit/trail.js';
import type { KeyRemoval, WebIdentity } from '../store/store.js';
import { SESSION_COOKIE } from './authn.js';
import type { ConsoleSessions } from './console-sessions.js';
import { accountPage } from './ident-pages.js';
import { checkRegistration, registrationOptions, relyingParty } from './webauthn.js';

export interface AccountRouteDeps {
  sessions: ConsoleSessions;
  keys: Pick<WebIdentity, 'webAuthnCredentials' | 'addWebAuthnCredential' | 'removeWebAuthnCredential'>;
  audit: Pick<AuditTrail, 'record'>;
  rpId: () => string | undefined;
}

const NO_RP = 'Security keys need the console reached by a DNS name over HTTPS (not an IP address); see web.rpId.';

export function accountRoutes(app: FastifyInstance, deps: AccountRouteDeps): void {
  const show = async (req: FastifyRequest, message?: string) => {
    const who = req.consoleSession!;
    const keys = await deps.keys.webAuthnCredentials(who.name);
    const rp = relyingParty(req.headers.host, deps.rpId());
    const cookie = req.cookies[SESSION_COOKIE]!;
    let options: unknown;
    if (rp) {
      const o = await registrationOptions(who.name, keys, rp);
      await deps.sessions.putSessionStep(cookie, who.name, o.challenge);
      options = o;
    }
    return { name: who.name, role: who.role, keys, options, ...(rp ? {} : { unavailable: NO_RP }), ...(message ? { message } : {}) };
  };
  // Security keys belong to console accounts: a single sign-on session (the IdP's user) has none to add to.
  const ssoOnly = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.consoleSession?.via === 'sso') return reply.code(403).type('text/plain; charset=utf-8').send('security keys belong to console accounts; this session signed in through single sign-on\n');
  };
  app.get('/account', { preHandler: ssoOnly }, async (req, reply) => reply.type('text/html; charset=utf-8').send(accountPage({ ...(await show(req)), csrf: reply.generateCsrf() })));
  app.post('/account/webauthn', { preHandler: [ssoOnly, app.csrfProtection] }, async (req, reply) => {
    const who = req.consoleSession!;
    const step = await deps.sessions.takeSessionStep(req.cookies[SESSION_COOKIE]!);
    const rp = relyingParty(req.headers.host, deps.rpId());
    let response: unknown;
    try {
      response = JSON.parse(((req.body ?? {}) as Record<string, string>).response ?? '');
    } catch {
      response = undefined;
    }
    const r = step && step.name === who.name && rp ? await checkRegistration(who.name, response, step.challenge, rp) : { ok: false as const, reason: 'no registration under way' };
    if (r.ok) {
      // Recorded before the key counts: a key nobody can see in the trail never logs anyone in.
      await deps.audit.record('WebAuthnRegistered', { user: who.name, sourceIp: req.ip }, { credentialId: r.key.id });
      await deps.keys.addWebAuthnCredential(r.key);
    }
    const message = r.ok ? 'Security key added: the next login asks for it.' : `The key was not added: ${r.reason}`;
    return reply.code(r.ok ? 200 : 400).type('text/html; charset=utf-8').send(accountPage({ ...(await show(req, message)), csrf: reply.generateCsrf() }));
  });
  // No re-authentication: the session is already the account's, and the last factor stays whatever the session does.
  app.post('/account/webauthn/remove', { preHandler: [ssoOnly, app.csrfProtection] }, async (req, reply) => {
    const who = req.consoleSession!;
    const id = String(((req.body ?? {}) as Record<string, unknown>).id ?? '');
    const r = id ? await deps.keys.removeWebAuthnCredential(who.name, id) : 'unknown';
    if (r === 'removed') await deps.audit.record('WebAuthnRemoved', { user: who.name, sourceIp: req.ip }, { credentialId: id });
    const message = REMOVAL[r];
    return reply.code(r === 'removed' ? 200 : r === 'last' ? 409 : 404).type('text/html; charset=utf-8').send(accountPage({ ...(await show(req, message)), csrf: reply.generateCsrf() }));
  });
}

const REMOVAL: Record<KeyRemoval, string> = {
  removed: 'Security key removed: it no longer logs in to this account.',
  unknown: 'The key was not removed: this account has no such key.',
  last: 'The key was not removed: it is this account\'s last second factor (no other key, no TOTP). Add another key first.',
};
