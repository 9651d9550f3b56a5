// The one place the console decides who may change things: admins. Any other role gets 403 (JSON {error} under
// /api/), and the attempt is an audit event.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../audit/trail.js';
import { html, page } from './html.js';

export function adminOnly(audit: Pick<AuditTrail, 'record'>): (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (req, reply) => {
    const who = req.consoleSession;
    if (who?.role === 'admin') return undefined;
    const action = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    await audit.record('ConsoleActionDenied', { user: who?.name, sourceIp: req.ip }, { action, role: who?.role ?? 'none', reason: 'admins only' }).catch(() => undefined);
    if (req.url.startsWith('/api/')) return reply.code(403).send({ error: 'admins only' });
    return reply.code(403).type('text/html; charset=utf-8').send(page('Refused', html`<h1>Refused</h1><p>Only an admin may do this.</p>`));
  };
}
