// The console's evidence views beyond one session's page: search over screen text and typed lines, the audit trail
// (events with filters, the chain's verification, the anchors), the assessor's report, a session's events and its
// self-verifying evidence bundle. Each view is an audit event written before anything is shown: refused if it cannot be.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accessReport, renderReport } from '../audit/access-report.js';
import { auditRoot } from '../audit/open.js';
import type { AuditEvent } from '../audit/events.js';
import type { AuditTrail } from '../audit/trail.js';
import { localAuditKey, verifyRootOffThread } from '../audit/verify-all.js';
import type { DataDir } from '../config/data-dir.js';
import { FumidaiError } from '../errors.js';
import { evidencePage } from '../evidence/bundle.js';
import { localBundle } from '../evidence/local-bundle.js';
import { AUDIT_KEY } from '../shipping/object-keys.js';
import type { SessionIndex, SessionRecord, Spool } from '../store/store.js';
import { auditPage, hitPath, reportPage, searchPage } from './console-pages.js';
import { DEFAULT_EVENTS, filterFields, parseEventFilter, parsePeriod, type EventFilter } from './event-filter.js';
import { searchHits } from '../playback/search-hits.js';
import { parseQuery } from './search.js';
import { readEvents, sessionEvents } from './trail-events.js';
import { newestAnchored, TrailCheck } from './trail-status.js';

export interface AuditRouteDeps {
  index: Pick<SessionIndex, 'searchScreen' | 'searchTyped' | 'getSession' | 'channelsOf'>;
  audit: Pick<AuditTrail, 'record'>;
  dir: DataDir;
  spool: Pick<Spool, 'spoolList'>;
}

type Query = { Querystring: Record<string, unknown> };
type Params = { Params: { auditKey: string } };

export function auditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  const root = auditRoot(deps.dir);
  const check = new TrailCheck(() => verifyRootOffThread(root, localAuditKey(deps.dir)));
  const report = async (since: string, until: string) => accessReport(deps.dir, since, until, (await check.verify()).verdicts);
  const who = (req: FastifyRequest, reply: FastifyReply) => ({ name: req.consoleSession!.name, role: req.consoleSession!.role, via: req.consoleSession!.via, csrf: reply.generateCsrf() });
  const ctx = (req: FastifyRequest) => ({ user: req.consoleSession!.name, sourceIp: req.ip });
  const htmlReply = (reply: FastifyReply, body: string, code = 200) => reply.code(code).type('text/html; charset=utf-8').send(body);

  const search = async (q: string) => {
    const r = await searchHits(deps.index, q);
    const sessions = new Map<string, SessionRecord | undefined>();
    for (const h of r.hits) if (!sessions.has(h.auditKey)) sessions.set(h.auditKey, await deps.index.getSession(h.auditKey));
    return { hits: r.hits.map((h) => ({ ...h, session: sessions.get(h.auditKey) })), more: r.more };
  };
  app.get<Query>('/search', async (req, reply) => {
    const parsed = parseQuery(req.query.q);
    if (!parsed) return htmlReply(reply, searchPage(who(req, reply), ''));
    if ('error' in parsed) return htmlReply(reply, searchPage(who(req, reply), String(req.query.q).slice(0, 200), undefined, parsed.error), 400);
    const r = await search(parsed.q);
    await deps.audit.record('SearchRun', ctx(req), { query: parsed.q, hits: r.hits.length, view: 'page' });
    return htmlReply(reply, searchPage(who(req, reply), parsed.q, r));
  });
  app.get<Query>('/api/search', async (req, reply) => {
    const parsed = parseQuery(req.query.q) ?? { error: 'q: the text to look for' };
    if ('error' in parsed) return reply.code(400).send({ error: parsed.error });
    const r = await search(parsed.q);
    await deps.audit.record('SearchRun', ctx(req), { query: parsed.q, hits: r.hits.length, view: 'api' });
    const hits = r.hits.map(({ session: s, ...h }) => ({ ...h, url: hitPath(h), session: s && { user: s.user, target: s.target, login: s.login, startedAt: s.startedAt, state: s.state } }));
    return { query: parsed.q, hits, more: r.more };
  });

  // A filter that does not parse shows no event, and so is no view of the trail.
  const events = async (req: FastifyRequest<Query>, view: 'page' | 'api') => {
    const parsed = parseEventFilter(req.query);
    if ('error' in parsed) return { filter: { limit: DEFAULT_EVENTS } as EventFilter, r: { events: [] as AuditEvent[], next: undefined as string | undefined }, error: parsed.error };
    const r = await readEvents(root, parsed.filter);
    await deps.audit.record('AuditViewed', ctx(req), { view, filters: filterFields(parsed.filter), events: r.events.length });
    return { filter: parsed.filter, r, error: undefined };
  };
  app.get<Query>('/audit', async (req, reply) => {
    const { filter, r, error } = await events(req, 'page');
    const anchored = newestAnchored(await deps.spool.spoolList());
    return htmlReply(reply, auditPage(who(req, reply), filter, r, check.last, anchored, error), error ? 400 : 200);
  });
  app.get<Query>('/api/events', async (req, reply) => {
    const { r, error } = await events(req, 'api');
    if (error) return reply.code(400).send({ error });
    return { events: r.events, ...(r.next ? { next: r.next } : {}) };
  });
  app.post('/audit/verify', { preHandler: app.csrfProtection }, async (req, reply) => {
    const v = await check.verify();
    await deps.audit.record('AuditViewed', ctx(req), { view: 'verify', filters: {}, events: 0, ...(v.intact ? {} : { result: 'failure' as const, reason: v.lines.join('; ') }) });
    return reply.redirect('/audit', 303);
  });
  app.get('/api/audit/status', async () => ({ verification: check.last ?? null, anchored: newestAnchored(await deps.spool.spoolList()) }));

  app.get<Params>('/api/sessions/:auditKey/events', async (req, reply) => {
    const s = AUDIT_KEY.test(req.params.auditKey) ? await deps.index.getSession(req.params.auditKey) : undefined;
    if (!s) return reply.code(404).send({ error: 'no such session' });
    const r = await sessionEvents(root, s);
    await deps.audit.record('AuditViewed', ctx(req), { view: 'session', filters: { auditKey: s.auditKey }, events: r.events.length });
    return r;
  });

  const period = (req: FastifyRequest<Query>) => parsePeriod(req.query);
  app.get<Query>('/report', async (req, reply) => {
    const p = period(req);
    if ('error' in p) return reply.code(400).type('text/plain').send(p.error);
    const r = await report(p.since, p.until);
    await deps.audit.record('ReportViewed', ctx(req), { ...p, format: 'page' });
    return htmlReply(reply, reportPage(who(req, reply), p.since, p.until, r));
  });
  app.get<Query>('/report/download', async (req, reply) => {
    const p = period(req);
    const format = req.query.format ?? 'md';
    if ('error' in p || (format !== 'md' && format !== 'html')) return reply.code(400).type('text/plain').send('error' in p ? p.error : 'format: md or html');
    const text = `${renderReport(await report(p.since, p.until), format)}\n`; // as `fumidai report` prints it
    await deps.audit.record('ReportViewed', ctx(req), { ...p, format });
    const name = `fumidai-report-${p.since.slice(0, 10)}-${p.until.slice(0, 10)}.${format}`;
    return reply.header('content-disposition', `attachment; filename="${name}"`).type(format === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8').send(text);
  });

  app.get<Params>('/sessions/:auditKey/evidence', async (req, reply) => {
    const { auditKey } = req.params;
    if (!AUDIT_KEY.test(auditKey)) return reply.code(404).type('text/plain').send('no such session');
    let body: Buffer;
    try {
      const { bundle, session } = await localBundle(deps.index, deps.dir, auditKey);
      body = Buffer.from(await evidencePage(bundle, session));
    } catch (err) {
      if (!(err instanceof FumidaiError)) throw err;
      return reply.code(err.code === 'SESSION_UNKNOWN' ? 404 : 409).type('text/plain').send(err.message);
    }
    const sha256 = createHash('sha256').update(body).digest('hex');
    await deps.audit.record('EvidenceExported', ctx(req), { auditKey, sha256, bytes: body.length });
    return reply.header('content-disposition', `attachment; filename="evidence-${auditKey}.html"`).type('text/html; charset=utf-8').send(body);
  });
}
