// /requests and /api/requests: just-in-time access requests in the console (request-actions.ts decides who may act).
// Forms carry the CSRF token; the JSON API takes JSON only (a cross-site form cannot send it without a preflight).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseId } from '../auth/request-args.js';
import { actingUser, decide, fileRequest, listed, type Outcome, type RequestDeps } from './request-actions.js';
import { confirmPage, requestsPage } from './request-pages.js';
import { linkProblem } from '../auth/request-links.js';

type Params = { id?: string; action?: string };
const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
const isJson = (req: FastifyRequest) => /^application\/json\b/.test(String(req.headers['content-type'] ?? ''));
const ACTIONS = new Set(['approve', 'deny']);

export function requestRoutes(app: FastifyInstance, deps: RequestDeps): void {
  const show = async (req: FastifyRequest, reply: FastifyReply, r?: Outcome) => {
    const s = req.consoleSession!;
    const acting = await actingUser(deps.store, s);
    const rows = await listed(deps);
    const view = { rows, who: { name: s.name, role: s.role, via: s.via, csrf: reply.generateCsrf() }, ...(acting.ok ? { actor: acting.name } : { readOnly: `Read only: ${acting.error}.` }) };
    const outcome = r ? (r.ok ? { message: r.message } : { error: r.error }) : {};
    return reply.code(r && !r.ok ? r.status : 200).type('text/html; charset=utf-8').send(requestsPage({ ...view, ...outcome }));
  };
  const json = (reply: FastifyReply, r: Outcome) => (r.ok ? reply.send({ ok: true, message: r.message, ...(r.id ? { id: r.id } : {}) }) : reply.code(r.status).send({ error: r.error }));
  const decision = (req: FastifyRequest<{ Params: Params }>): Promise<Outcome> | Outcome => {
    const id = parseId(req.params.id);
    if (id === undefined || !ACTIONS.has(req.params.action ?? '')) return { ok: false, status: 404, error: 'no such request or action' };
    return decide(deps, req.consoleSession, req.ip, id, req.params.action as 'approve' | 'deny', body(req).reason);
  };

  app.get('/requests', async (req, reply) => show(req, reply));
  // A signed link from the request webhook: checked, then a confirm page; a bad one is refused with one line.
  app.get<{ Params: Params; Querystring: { exp?: string; sig?: string } }>('/requests/:id/:action', async (req, reply) => {
    const id = parseId(req.params.id);
    const action = req.params.action;
    const refuse = (code: number, why: string) => reply.code(code).type('text/plain; charset=utf-8').send(`refused: ${why}\n`);
    if (id === undefined || (action !== 'approve' && action !== 'deny')) return refuse(404, 'no such request or action');
    if (!deps.linkKey) return refuse(404, 'signed links are not in use on this console');
    const problem = linkProblem(deps.linkKey, id, action, req.query.exp, req.query.sig);
    if (problem) return refuse(403, problem);
    const r = await deps.store.accessRequest(id);
    if (!r) return refuse(404, `no access request #${id}`);
    const s = req.consoleSession!;
    const acting = await actingUser(deps.store, s);
    if (!acting.ok) return refuse(acting.status, acting.error);
    return reply.type('text/html; charset=utf-8').send(confirmPage(r, action, { name: s.name, role: s.role, via: s.via, csrf: reply.generateCsrf() }));
  });
  app.get('/api/requests', async () => ({ requests: await listed(deps) }));
  app.post('/requests', { preHandler: app.csrfProtection }, async (req, reply) => show(req, reply, await fileRequest(deps, req.consoleSession, req.ip, body(req))));
  app.post<{ Params: Params }>('/requests/:id/:action', { preHandler: app.csrfProtection }, async (req, reply) => show(req, reply, await decision(req)));
  app.post('/api/requests', async (req, reply) => {
    if (!isJson(req)) return reply.code(415).send({ error: 'send JSON: {"target", "login", "for", "reason"}' });
    return json(reply, await fileRequest(deps, req.consoleSession, req.ip, body(req)));
  });
  app.post<{ Params: Params }>('/api/requests/:id/:action', async (req, reply) => {
    if (!isJson(req)) return reply.code(415).send({ error: 'send JSON: {} to approve, {"reason": "..."} to deny' });
    return json(reply, await decision(req));
  });
}
