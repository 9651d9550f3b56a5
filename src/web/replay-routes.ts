// Windowed replay of a session's terminal recordings: the index and segments asciinema-player's segmented source
// reads (playback/segments.ts), so a recording of any size plays and seeks while the page holds a few segments of
// about a megabyte, and the server reads one segment's bytes per answer. The keyframes come from KeyframeCache (built
// once per recording in a worker, kept by sha256 in `keyframeDir`); a segment whose keyframe is not built yet is
// answered when it is. replay-status tells the page how far that is.
// Audit: one RecordingViewed (view "recording") per console login and recording, at its first index or segment: the
// page view has its own event, and the hundreds of segments of one viewing are not each an event.
import { stat } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../audit/trail.js';
import { KeyframeCache } from '../playback/keyframe-cache.js';
import { startKeyframePruning } from '../playback/keyframe-prune.js';
import type { LiveFeed } from '../recording/live-feed.js';
import { inputOf } from '../playback/cast-scan.js';
import { isCast, type InputOf } from '../playback/session-detail.js';
import { segmentedIndex, segmentOf } from '../playback/segments.js';
import { userLine } from '../errors.js';
import { AUDIT_KEY } from '../shipping/object-keys.js';
import type { RecordingCache } from '../shipping/recording-cache.js';
import type { SessionIndex } from '../store/store.js';
import type { ConsoleSession } from './console-sessions.js';
import { recordingPath } from './session-page.js';

export interface ReplayRouteDeps {
  index: Pick<SessionIndex, 'channelsOf'>;
  audit: Pick<AuditTrail, 'record'>;
  /** Where keyframe indexes of sealed recordings are kept; memory only without it. */
  keyframeDir?: string;
  /** A recording no longer (or never) on this node, from the bucket: checked against its seal, cached. */
  recordings?: Pick<RecordingCache, 'localPath'>;
  /** The bastion beside the console: each terminal recording it seals is indexed ahead of any view. */
  live?: { feed: Pick<LiveFeed, 'onSealed'> };
  /** Where copies fetched back from the bucket are kept, named by sha256: their keyframes are kept while they are. */
  recordingCacheDir?: string;
}

type Params = { auditKey: string; channel: string; k?: string };
type Query = { idle?: string };


/** Registers the routes; returns what a channel's typed input is, from the replay index once it is read. */
export function replayRoutes(app: FastifyInstance, deps: ReplayRouteDeps): InputOf {
  const cache = new KeyframeCache({ dir: deps.keyframeDir });
  app.addHook('onClose', () => cache.close());
  // Built at seal, at low priority, only where the console runs (nobody else would read them); pruned once their
  // recording has left this node, at start and daily.
  deps.live?.feed.onSealed((r) => cache.prebuild({ path: r.path, sha256: r.sha256, size: r.bytes }));
  if (deps.keyframeDir) {
    const stop = startKeyframePruning(deps.keyframeDir, deps.recordingCacheDir ? [deps.recordingCacheDir] : [], (err) => app.log.warn({ err: err.message }, 'keyframe pruning failed'));
    app.addHook('onClose', async () => stop());
  }
  const seen = new WeakMap<ConsoleSession, Set<string>>();

  /** The recording of a request, from the index (never a path from the request), with its index entry. */
  const recordingOf = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { auditKey, channel } = req.params;
    const none = () => (reply.code(404).type('text/plain').send('no such recording'), undefined);
    if (!AUDIT_KEY.test(auditKey) || !/^\d{1,9}$/.test(channel)) return none();
    const ch = (await deps.index.channelsOf(auditKey)).find((c) => c.channel === Number(channel) && isCast(c));
    if (!ch) return none();
    const found = await fileOf(ch, deps.recordings, reply);
    if (!found) return undefined;
    const size = await stat(found).then((s) => s.size, () => undefined);
    if (size === undefined) return (reply.code(404).type('text/plain').send('the recording is not on this node'), undefined);
    return { ch, path: found, replay: cache.of({ path: found, size, ...(ch.sha256 ? { sha256: ch.sha256 } : {}) }) };
  };
  const viewed = async (req: FastifyRequest, auditKey: string, channel: number) => {
    const who = req.consoleSession!;
    const mine = seen.get(who) ?? new Set<string>();
    const key = `${auditKey}\0${channel}`;
    if (mine.has(key)) return;
    await deps.audit.record('RecordingViewed', { user: who.name, sourceIp: req.ip }, { auditKey, view: 'recording', channel });
    mine.add(key);
    seen.set(who, mine);
  };
  const idleOf = (q: Query) => q.idle !== '0';

  app.get<{ Params: Params; Querystring: Query }>('/sessions/:auditKey/recordings/:channel/replay', async (req, reply) => {
    const r = await recordingOf(req, reply);
    if (!r) return reply;
    const time = await r.replay.time();
    await viewed(req, r.ch.auditKey, r.ch.channel);
    const idle = idleOf(req.query);
    return segmentedIndex(time, idle, (k) => `${recordingPath(r.ch.auditKey, r.ch.channel)}/segments/${k}?idle=${idle ? 1 : 0}`);
  });
  app.get<{ Params: Params; Querystring: Query }>('/sessions/:auditKey/recordings/:channel/segments/:k', async (req, reply) => {
    const r = await recordingOf(req, reply);
    if (!r) return reply;
    const time = await r.replay.time();
    const k = /^\d{1,7}$/.test(req.params.k ?? '') ? Number(req.params.k) : -1;
    if (k < 0 || k >= time.segments.length) return reply.code(404).type('text/plain').send('no such segment');
    const snapshot = await r.replay.snapshot(k);
    await viewed(req, r.ch.auditKey, r.ch.channel);
    return segmentOf(r.path, time, k, snapshot, idleOf(req.query));
  });
  app.get<{ Params: Params }>('/sessions/:auditKey/recordings/:channel/replay-status', async (req, reply) => {
    const r = await recordingOf(req, reply);
    return r ? r.replay.status() : reply;
  });
  // A sealed recording's input comes with its replay index (one pass reads both); a live one's is read as it is now.
  return async (ch) => {
    if (!ch.sha256) return inputOf(ch.recordingPath).catch(() => undefined);
    const size = await stat(ch.recordingPath).then((s) => s.size, () => undefined);
    if (size === undefined) return undefined;
    const read = () => inputOf(ch.recordingPath).catch(() => undefined);
    return cache.of({ path: ch.recordingPath, size, sha256: ch.sha256 }).time().then((t) => t.input, read);
  };
}

/**
 * The local file of a channel's recording: this node's own, or the bucket's copy (fetched, checked against the seal).
 * Undefined once the answer is sent: 404 when it is nowhere, 502 when the bucket does not answer, 409 when its copy
 * does not match what was sealed (never served).
 */
export async function fileOf(ch: { recordingPath: string; sha256?: string }, recordings: Pick<RecordingCache, 'localPath'> | undefined, reply: FastifyReply): Promise<string | undefined> {
  if (!recordings) return ch.recordingPath;
  try {
    const found = await recordings.localPath(ch);
    if (found) return found.path;
    reply.code(404).type('text/plain').send('the recording is not on this node, and not (yet) in the bucket');
  } catch (err) {
    const e = err as Error & { code?: string };
    reply.code(e.code === 'RECORDING_TAMPERED' ? 409 : 502).type('text/plain').send(userLine(err));
  }
  return undefined;
}
