// The sessions list, as a page and as JSON: filters and paging done by the store (one page of sessions and their
// channels in two selects), so ten thousand sessions cost what a hundred do.
import type { FastifyInstance } from 'fastify';
import { sessionSummary } from '../playback/session-summary.js';
import type { SessionIndex } from '../store/store.js';
import { encodeCursor, listQuery, nextPageQuery, type ListParams } from './list-query.js';
import { sessionsPage, type SessionRow } from './pages.js';

export interface ListRouteDeps {
  index: Pick<SessionIndex, 'sessionPage'>;
}

export function listRoutes(app: FastifyInstance, deps: ListRouteDeps): void {
  const rowsOf = async (params: ListParams) => {
    const parsed = listQuery(params);
    if ('error' in parsed) return parsed;
    const page = await deps.index.sessionPage(parsed.query);
    const rows: SessionRow[] = page.sessions.map(({ channels, ...s }) => ({ ...s, ...sessionSummary(channels) }));
    return { rows, next: page.next };
  };
  app.get<{ Querystring: ListParams }>('/sessions', async (req, reply) => {
    const who = { name: req.consoleSession!.name, role: req.consoleSession!.role, via: req.consoleSession!.via, csrf: reply.generateCsrf() };
    const r = await rowsOf(req.query);
    const body = 'error' in r ? sessionsPage([], req.query, who, { error: r.error }) : sessionsPage(r.rows, req.query, who, { next: r.next && `/sessions?${nextPageQuery(req.query, r.next)}` });
    return reply.code('error' in r ? 400 : 200).type('text/html; charset=utf-8').send(body);
  });
  app.get<{ Querystring: ListParams }>('/api/sessions', async (req, reply) => {
    const r = await rowsOf(req.query);
    if ('error' in r) return reply.code(400).send({ error: r.error });
    return { sessions: r.rows, next: r.next ? encodeCursor(r.next) : null };
  });
}
