// The routes of one session: its page, its JSON, its terminal recordings streamed from disk, and the player's files.
// Each view is a RecordingViewed event: looking at evidence is itself evidence, and is refused if it cannot be written.
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../audit/trail.js';
import { isCast, sessionDetail, type InputOf } from '../playback/session-detail.js';
import { AUDIT_KEY } from '../shipping/object-keys.js';
import type { SessionIndex } from '../store/store.js';
import { liveInfo, type LiveDeps } from './live-deps.js';
import { sessionActions } from './live-page.js';
import { patchPlayer } from './player-patch.js';
import { PLAYER_JS } from './player-script.js';
import { fileOf } from './replay-routes.js';
import type { RecordingCache } from '../shipping/recording-cache.js';
import { sessionEvents } from './trail-events.js';
import { auditRoot } from '../audit/open.js';
import type { DataDir } from '../config/data-dir.js';
import { notFoundPage, sessionPage } from './session-page.js';

export interface SessionRouteDeps {
  index: Pick<SessionIndex, 'getSession' | 'channelsOf' | 'fileOpsOf'>;
  audit: Pick<AuditTrail, 'record'>;
  /** Where the session's own events are read from (its page lists them). */
  dir?: DataDir;
  /** What was typed on a channel, when something keeps it (the replay index); read from the recording otherwise. */
  inputOf?: InputOf;
  live?: LiveDeps;
  /** Recordings not on this node, from the bucket (replay-routes.ts `fileOf`). */
  recordings?: Pick<RecordingCache, 'localPath'>;
}

const require = createRequire(import.meta.url);
const playerFile = (name: string) => readFileSync(require.resolve(`asciinema-player/dist/bundle/${name}`));
// The player compiles its embedded WebAssembly terminal: its pages (a session's, the live view), and no other, may do so.
export const PLAYER_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

type Params = { auditKey: string; channel?: string };

export function sessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const assets = { js: patchPlayer(playerFile('asciinema-player.min.js').toString('utf8')), css: playerFile('asciinema-player.css') };
  app.get('/static/asciinema-player.min.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(assets.js));
  app.get('/static/asciinema-player.css', (_req, reply) => reply.type('text/css; charset=utf-8').send(assets.css));
  app.get('/static/console-player.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(PLAYER_JS));

  const who = (req: FastifyRequest, reply: FastifyReply) => ({ name: req.consoleSession!.name, role: req.consoleSession!.role, via: req.consoleSession!.via, csrf: reply.generateCsrf() });
  const viewed = (req: FastifyRequest, auditKey: string, view: 'page' | 'api' | 'recording', channel?: number) =>
    deps.audit.record('RecordingViewed', { user: req.consoleSession!.name, sourceIp: req.ip }, { auditKey, view, ...(channel !== undefined ? { channel } : {}) });
  // A malformed key never reaches the store: it is not an audit key, so no session has it.
  const detailOf = (auditKey: string) => (AUDIT_KEY.test(auditKey) ? sessionDetail(deps.index, auditKey, deps.inputOf) : Promise.resolve(undefined));

  app.get<{ Params: Params }>('/sessions/:auditKey', async (req, reply) => {
    const d = await detailOf(req.params.auditKey);
    if (!d) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage(who(req, reply)));
    await viewed(req, d.session.auditKey, 'page');
    const casts = d.channels.some(isCast);
    if (casts) reply.header('content-security-policy', PLAYER_CSP);
    const events = deps.dir && (await sessionEvents(auditRoot(deps.dir), d.session));
    const w = who(req, reply);
    return reply.type('text/html; charset=utf-8').send(sessionPage(d, w, events, sessionActions(d.session, await liveInfo(deps.live, d.session), w)));
  });
  app.get<{ Params: Params }>('/api/sessions/:auditKey', async (req, reply) => {
    const d = await detailOf(req.params.auditKey);
    if (!d) return reply.code(404).send({ error: 'no such session' });
    await viewed(req, d.session.auditKey, 'api');
    return d;
  });
  app.get<{ Params: Params }>('/sessions/:auditKey/recordings/:channel', async (req, reply) => {
    const { auditKey, channel } = req.params;
    if (!AUDIT_KEY.test(auditKey) || !/^\d{1,9}$/.test(channel ?? '')) return reply.code(404).type('text/plain').send('no such recording');
    // The path comes from the index, never from the request.
    const ch = (await deps.index.channelsOf(auditKey)).find((c) => c.channel === Number(channel) && isCast(c));
    if (!ch) return reply.code(404).type('text/plain').send('no such recording');
    const file = await fileOf(ch, deps.recordings, reply);
    if (!file) return reply;
    const stream = createReadStream(file);
    const opened = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      stream.once('open', () => resolve(undefined));
      stream.once('error', resolve);
    });
    if (opened) return reply.code(404).type('text/plain').send('the recording is not on this node');
    await viewed(req, auditKey, 'recording', ch.channel).catch((err: unknown) => {
      stream.destroy();
      throw err;
    });
    return reply.type('text/plain; charset=utf-8').send(stream);
  });
}
