import type { Command } from 'commander';
import { fail, FumidaiError } from '../errors.js';
import { once } from 'node:events';
import { outputOf, replay, timedOutput, type Timed } from '../playback/replay.js';
import { sessionDetail } from '../playback/session-detail.js';
import { auditRoot } from '../audit/open.js';
import { ruleMatches } from '../audit/rule-matches.js';
import { sessionEvents } from '../web/trail-events.js';
import { exportHtml } from '../playback/html-export.js';
import { checkRecording } from '../audit/recording-check.js';
import { TerminalFilter } from '../playback/terminal-filter.js';
import type { ChannelRecord } from '../store/store.js';
import { sessionSummary } from '../playback/session-summary.js';
import { parseQuery, searchHits } from '../playback/search-hits.js';
import { adminChange, bucketOptions, bucketReader, fromBucket, isoOption, printTable, withStore, type BucketOptions } from './common.js';

/** The index gives at most 200 hits of each kind; the terminal shows that many by default. */
const CLI_HITS = 200;

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw fail('ARGUMENT_INVALID', `${name} must be a positive number, not '${value}'`);
  return n;
}

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('the session index: list, show, search');
  sessions
    .command('list')
    .description('list sessions')
    .option('--data <dir>', 'data directory')
    .option('--user <user>', 'only this user')
    .option('--target <target>', 'only this target')
    .option('--since <iso>', 'started at or after')
    .option('--until <iso>', 'started before')
    .option('--live', 'only live sessions')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { data?: string; user?: string; target?: string; since?: string; until?: string; live?: boolean; json?: boolean }) => {
      const filter = { user: opts.user, target: opts.target, since: isoOption(opts.since, '--since'), until: isoOption(opts.until, '--until'), live: opts.live };
      await withStore(opts, async (store) => {
        const list = await store.listSessions(filter);
        const summaries = await Promise.all(list.map(async (s) => sessionSummary(await store.channelsOf(s.auditKey))));
        if (opts.json) return list.forEach((s, i) => console.log(JSON.stringify({ ...s, kind: summaries[i]!.kind, what: summaries[i]!.what })));
        printTable(
          ['AUDIT KEY', 'USER', 'FROM', 'TARGET', 'LOGIN', 'START', 'END', 'EXIT', 'STATE', 'KIND', 'WHAT'],
          list.map((s, i) => [s.auditKey, s.user, `${s.sourceIp}:${s.sourcePort}`, s.target ?? '', s.login ?? '', s.startedAt, s.endedAt ?? '', s.exitStatus?.toString() ?? '', s.state, summaries[i]!.kind, summaries[i]!.what]),
        );
      });
    });
  sessions
    .command('show <auditKey>')
    .description('metadata, channels (with recording sha256), commands typed, file operations')
    .option('--data <dir>', 'data directory')
    .option('--json', 'as one JSON object')
    .action(async (auditKey: string, opts: { data?: string; json?: boolean }) => {
      await withStore(opts, async (store, dir) => {
        const detail = await sessionDetail(store, auditKey);
        if (!detail) throw fail('SESSION_UNKNOWN', auditKey);
        const { session, channels, typed, fileOps } = detail;
        const matches = ruleMatches((await sessionEvents(auditRoot(dir), session, 10_000)).events);
        if (opts.json) return console.log(JSON.stringify({ session, channels, typed, fileOps, ruleMatches: matches }));
        const s = session;
        console.log(`session   ${s.auditKey}  (${s.state}${s.reason ? `: ${s.reason}` : ''})`);
        console.log(`user      ${s.user} from ${s.sourceIp}:${s.sourcePort}`);
        console.log(`target    ${s.login ?? '?'}@${s.target ?? '?'}`);
        console.log(`time      ${s.startedAt} .. ${s.endedAt ?? 'now'}${s.endedAt ? ` (${((Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1)}s)` : ''}`);
        console.log(`exit      ${s.exitStatus ?? ''}   bytes in ${s.bytesIn ?? 0}, out ${s.bytesOut ?? 0}`);
        console.log('\nchannels');
        printTable(['#', 'KIND', 'COMMAND', 'EXIT', 'IN', 'OUT', 'STATE', 'SHA256', 'RECORDING'],
          channels.map((c) => [String(c.channel), c.kind, c.command ?? '', c.exitStatus?.toString() ?? '', String(c.bytesIn), String(c.bytesOut), c.state, c.sha256 ?? '', c.recordingPath]));
        for (const t of typed) {
          console.log(`\ncommands typed (channel ${t.channel})`);
          for (const l of t.lines) console.log(`  ${l}`);
        }
        if (fileOps.length) {
          console.log('\nfile operations');
          printTable(['#', 'OP', 'PATH', 'BYTES', 'SHA256', 'RESULT'],
            fileOps.map((o) => [String(o.channel), o.op, o.to ? `${o.path} -> ${o.to}` : o.path, o.bytes?.toString() ?? '', o.sha256 ?? '', o.result]));
        }
        if (matches.length) {
          console.log('\nrule matches (CommandMatched)');
          printTable(['TIME', 'ON', 'RULE', 'ACTION', 'RESULT', 'LINE', 'REASON'], matches.map((m) => [m.at, m.on, m.rule, m.action, m.result === 'failure' ? 'refused' : 'passed', m.line, m.reason]));
        }
      });
    });
  sessions
    .command('kill <auditKey>')
    .description('end a live session now, on whichever node runs it, with a message to its user')
    .option('--reason <text>', 'what the user and the audit trail are told', 'no reason given')
    .option('--data <dir>', 'data directory')
    .action(async (auditKey: string, opts: { data?: string; reason: string }) => {
      await withStore(opts, async (store, dir) => {
        const session = await store.getSession(auditKey);
        if (!session) throw fail('SESSION_UNKNOWN', auditKey);
        const notLive = (state: string) => fail('ARGUMENT_INVALID', `session ${auditKey} is not live (${state})`);
        if (session.state !== 'live') throw notLive(session.state);
        await adminChange(dir, `sessions kill ${auditKey}`, { reason: opts.reason, sessionUser: session.user }, async () => {
          if (!(await store.requestTermination(auditKey, opts.reason))) throw notLive((await store.getSession(auditKey))?.state ?? 'gone');
        });
      });
      console.log(`asked the bastion to end ${auditKey}`);
    });
  sessions
    .command('export <auditKey> <out>')
    .description("a terminal channel as one self-contained HTML page with asciinema-player, for a browser")
    .option('--channel <n>', 'which channel (default: the first terminal one)')
    .option('--data <dir>', 'data directory')
    .action(async (auditKey: string, out: string, opts: { data?: string; channel?: string }) => {
      const { session, channel } = await withStore(opts, async (store) => {
        const session = await store.getSession(auditKey);
        if (!session) throw fail('SESSION_UNKNOWN', auditKey);
        const casts = (await store.channelsOf(auditKey)).filter((c) => c.recordingPath.endsWith('.cast'));
        const channel = opts.channel === undefined ? casts[0] : casts.find((c) => String(c.channel) === opts.channel);
        if (!channel) throw fail('ARGUMENT_INVALID', `session ${auditKey} has no terminal recording${opts.channel ? ` on channel ${opts.channel}` : ''} (exec, sftp and tunnels are in 'sessions show' and 'replay')`);
        return { session, channel };
      });
      const sealed = channel.sha256 && { path: channel.recordingPath, sha256: channel.sha256, bytes: channel.recordingBytes ?? 0, sessionId: auditKey, channel: channel.channel };
      const verified = sealed ? (await checkRecording(sealed, new Set())).status === 'ok' : false;
      await exportHtml(channel.recordingPath, { ...session, channel: channel.channel, sha256: channel.sha256, verified }, out).catch((err: NodeJS.ErrnoException & { output?: boolean }) => {
        throw err.output ? fail('ARGUMENT_INVALID', err.message) : fail('RECORDING_UNREADABLE', channel.recordingPath, err.code ?? err.message);
      });
      console.log(`wrote ${out}${sealed && !verified ? ' (WARNING: the recording does not match its sealed sha256)' : ''}`);
    });
  sessions
    .command('search <text>')
    .description('full-text search over what terminals showed and the lines typed on them (as the console\'s search); prints audit key, time offset and which kind each hit is')
    .option('--data <dir>', 'data directory')
    .option('--limit <n>', 'at most this many hits', String(CLI_HITS))
    .action(async (text: string, opts: { data?: string; limit: string }) => {
      const parsed = parseQuery(text) ?? { error: 'the text to look for is empty' };
      if ('error' in parsed) throw fail('ARGUMENT_INVALID', parsed.error);
      const limit = positive(opts.limit, '--limit');
      await withStore(opts, async (store) => {
        // A line stays on screen through many snapshots: one screen hit per text, at the first time it showed.
        const r = await searchHits(store, parsed.q, Math.floor(limit));
        printTable(
          ['AUDIT KEY', 'CHANNEL', 'OFFSET', 'KIND', 'TEXT', 'SEEN'],
          r.hits.map((h) => [h.auditKey, String(h.channel), `${h.offset.toFixed(1)}s`, h.source, h.snippet.replace(/\s+/g, ' '), h.times > 1 ? `${h.times} snapshots` : '']),
        );
        if (r.more) console.log(`(more hits than ${Math.floor(limit)}: narrow the text, or raise --limit)`);
      });
    });
  bucketOptions(
    program
      .command('replay <auditKey>')
      .description("play a session's recordings in the terminal, with their timing")
      .option('--data <dir>', 'data directory')
      .option('--speed <n>', 'playback speed factor', '1')
      .option('--idle-limit <s>', 'cut pauses longer than this many seconds')
      .option('--no-wait', 'print everything at once')
      .option('--raw', "pass every recorded byte to this terminal, including clipboard writes, titles and report requests"),
  ).action(async (auditKey: string, opts: BucketOptions & { speed: string; idleLimit?: string; wait: boolean; raw?: boolean }) => {
    const play = { speed: positive(opts.speed, '--speed'), idleLimit: opts.idleLimit === undefined ? undefined : positive(opts.idleLimit, '--idle-limit'), noWait: !opts.wait };
    const writeOut = opts.raw ? writeRaw : filteredWriter();
    if (fromBucket(opts)) {
      // Streamed from the bucket into the player: no local copy, no recording whole in memory.
      const reader = bucketReader(opts);
      const keys = await reader.sessionRecordings(auditKey);
      if (keys.length === 0) throw fail('SESSION_UNKNOWN', auditKey, ` in ${reader.url(`${reader.location.prefix}recordings/`)}`);
      for (const key of keys) {
        await replay(timedOutput(await reader.open(key)), writeOut, play).catch((err: NodeJS.ErrnoException) => {
          throw err instanceof FumidaiError ? err : fail('RECORDING_UNREADABLE', reader.url(key), err.code ?? err.message);
        });
      }
      return;
    }
    const { channels, pruned } = await withStore(opts, async (store) => {
      if (!(await store.getSession(auditKey))) throw fail('SESSION_UNKNOWN', auditKey);
      return { channels: await store.channelsOf(auditKey), pruned: new Set((await store.spoolList()).filter((i) => i.state === 'pruned').map((i) => i.path)) };
    });
    for (const ch of channels) {
      await checkBeforePlay(auditKey, ch);
      await replay(outputOf(ch.recordingPath), writeOut, play).catch((err: NodeJS.ErrnoException) => {
        const why = err.code ?? err.message;
        throw fail('RECORDING_UNREADABLE', ch.recordingPath, pruned.has(ch.recordingPath) ? `${why}; it was pruned locally after its upload: add --from-bucket` : why);
      });
    }
  });
}

/** Recorded output to the terminal, stdout and stderr as they were; waits while a pipe is full. */
function writeRaw(e: Timed): Promise<unknown> | undefined {
  const stream = e.stream === 'stdout' ? process.stdout : process.stderr;
  return stream.write(e.data) ? undefined : once(stream, 'drain');
}

/** The same, less what a recording must not do to the auditor's terminal (playback/terminal-filter.ts). */
function filteredWriter(): (e: Timed) => Promise<unknown> | undefined {
  const filters = { stdout: new TerminalFilter(), stderr: new TerminalFilter() };
  return (e) => writeRaw({ ...e, data: filters[e.stream].push(e.data) });
}

/**
 * A local recording plays only if it is the one sealed: its sha256 against the one its sealing recorded (exit 3 as
 * `audit verify` does). One not sealed yet (a live session) plays with a warning; a missing one is left to the read,
 * which says RECORDING_UNREADABLE (and where a pruned one is).
 */
async function checkBeforePlay(auditKey: string, ch: ChannelRecord): Promise<void> {
  if (!ch.sha256) {
    console.error(`fumidai: warning: ${ch.recordingPath} is not sealed yet (channel ${ch.channel} ${ch.state}): played unchecked`);
    return;
  }
  const v = await checkRecording({ path: ch.recordingPath, sha256: ch.sha256, bytes: ch.recordingBytes ?? 0, sessionId: auditKey, channel: ch.channel }, new Set());
  if (v.status === 'modified') throw fail('RECORDING_TAMPERED', ch.recordingPath, `session ${auditKey}, channel ${ch.channel}: ${v.detail}`, 'tampered');
}
