import type { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dataDirFrom, openDataDir, type DataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
export { describeVerdict, verifyAll } from '../audit/verify-all.js';
import { keyFingerprint } from '../audit/keys.js';
import { auditKeyFile, auditRoot, nodeName } from '../audit/open.js';
import { cell, exportEvents, openEvents, query, segmentFiles, timeWhere, type EventsView } from '../audit/query.js';
import { readSegments, verifySegments, type Segment, type Verdict } from '../audit/verify.js';
import { bucketOptions, bucketReader, fromBucket, isoOption, printTable, withStore, type BucketOptions } from './common.js';
import { rm } from 'node:fs/promises';
import { checkRecording, checkStream, sealedRecordings, type SealedRecording } from '../audit/recording-check.js';
import { recordingObjectKey } from '../shipping/object-keys.js';
import type { KeyObject } from 'node:crypto';
import { describeVerdict, verifyAll } from '../audit/verify-all.js';
import { localAuditKey, registerAuditKey, trustedKey, UNPINNED, type PinOptions } from './audit-key.js';
import { bucketAnchors, syslogAnchors, verifyAnchors } from './audit-anchors.js';
import { bucketLocation, BucketReader } from '../shipping/bucket-reader.js';

/**
 * The line for a chain that failed. A bad signature where the unpinned key would have passed means the trail was signed
 * by another key than the pinned one: said so (AUDIT_KEY_MISMATCH) rather than as an edit.
 */
function failureLine(where: string, chain: string, verdict: Verdict, segments: () => Segment[], fromStart: boolean, keys: { key: KeyObject; other?: KeyObject }): string {
  const { key, other } = keys;
  if (!verdict.ok && verdict.problem === 'bad signature' && other && verifySegments(segments(), other, fromStart).ok) {
    return fail('AUDIT_KEY_MISMATCH', `${where}${chain}: its checkpoints are signed by ${keyFingerprint(other)}`, keyFingerprint(key)).line;
  }
  return fail('AUDIT_TAMPERED', `${where}${describeVerdict(chain, verdict)}`).line;
}

/** The local key when there is one, to tell "signed by another key" from an edit; none on an auditor's machine. */
function otherKey(data: string | undefined, pinnedKey: KeyObject): KeyObject | undefined {
  try {
    const local = localAuditKey(openDataDir(dataDirFrom(data)));
    return local.equals(pinnedKey) ? undefined : local;
  } catch {
    return undefined;
  }
}

/** The shipped trail: chains and signatures, then every sealed recording's object against its sha256. Returns problems. */
async function verifyBucket(opts: BucketOptions & PinOptions & { recordings: boolean; syslogExport?: string }, since?: string, until?: string): Promise<number> {
  const { key, pinned } = trustedKey(opts, () => {
    try {
      const dir = openDataDir(dataDirFrom(opts.data));
      return { key: localAuditKey(dir), where: `the audit key of this data directory (${auditKeyFile(dir)})` };
    } catch {
      throw fail('ARGUMENT_INVALID', 'no audit key here: give --key audit_ed25519_key.pub (from a copy you trust)');
    }
  });
  const other = pinned ? otherKey(opts.data, key) : undefined;
  const reader = bucketReader(opts);
  const where = `s3://${reader.location.bucket}/${reader.location.prefix}`;
  const { dir, problems } = await reader.auditSegments(since, until);
  try {
    const root = join(dir, 'audit');
    const chains = existsSync(root) ? readdirSync(root).sort() : [];
    if (chains.length === 0) {
      console.log(`no audit segments in ${where}audit/`);
      return 0;
    }
    // A piece missing from a segment (or overlapping another): the chains below then say where they break too.
    for (const p of problems) console.error(fail('AUDIT_TAMPERED', p).line);
    let bad = problems.length;
    const sealed: SealedRecording[] = [];
    for (const chain of chains) {
      const segments = readSegments(join(root, chain), since, until);
      const verdict = verifySegments(segments, key, !since);
      if (verdict.ok) console.log(`${where}audit/${describeVerdict(chain, verdict)}`);
      else {
        bad++;
        console.error(failureLine(`${where}audit/`, chain, verdict, () => segments, !since, { key, other }));
      }
      sealed.push(...sealedRecordings(segments));
    }
    if (!pinned) console.log(UNPINNED);
    const anchored = opts.syslogExport ? syslogAnchors(opts.syslogExport, key) : bucketAnchors(reader);
    bad += await verifyAnchors(anchored, chains, (chain) => readSegments(join(root, chain), since, until));
    if (!opts.recordings) return bad;
    const counts = { ok: 0, modified: 0, missing: 0 };
    const listed = new Map<string, Set<string>>();
    for (const r of sealed) {
      // The object key is the recording's place under the recording directory: <day>/<audit key>/<file>.
      const relative = r.path.split(/[\\/]/).slice(-3).join('/');
      const objectKey = recordingObjectKey(reader.location.prefix, relative);
      const folder = relative.split('/').slice(0, 2).join('/');
      if (!listed.has(folder)) listed.set(folder, new Set(await reader.list(`recordings/${folder}/`)));
      const v = await checkStream(r, async () => (listed.get(folder)!.has(objectKey) ? reader.open(objectKey) : undefined));
      if (v.status === 'uploaded') continue;
      counts[v.status]++;
      const about = `session ${r.sessionId}, channel ${r.channel}`;
      if (v.status === 'modified') console.error(fail('RECORDING_TAMPERED', `s3://${reader.location.bucket}/${objectKey}`, `${about}: ${v.detail}`, 'tampered').line);
      if (v.status === 'missing') console.error(fail('RECORDING_TAMPERED', `s3://${reader.location.bucket}/${objectKey}`, `${about}: not in the bucket`, 'missing').line);
    }
    console.log(`recordings: ${sealed.length} sealed, ${counts.ok} in the bucket match their sealed sha256, ${counts.modified} modified, ${counts.missing} missing`);
    return bad + counts.modified + counts.missing;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Hashes every recording a RecordingSealed event names; prints a summary and one line per problem. */
async function verifyRecordings(dir: DataDir, since?: string, until?: string): Promise<number> {
  const root = auditRoot(dir);
  const sealed = readdirSync(root)
    .filter((c) => statSync(join(root, c)).isDirectory())
    .flatMap((chain) => sealedRecordings(readSegments(join(root, chain), since, until)));
  const uploaded = await withStore({ data: dir.dir }, async (store) => new Set((await store.spoolList()).filter((i) => i.state === 'pruned').map((i) => i.path)));
  const counts = { ok: 0, uploaded: 0, modified: 0, missing: 0 };
  for (const r of sealed) {
    const v = await checkRecording(r, uploaded);
    counts[v.status]++;
    const where = `session ${r.sessionId}, channel ${r.channel}`;
    if (v.status === 'modified') console.error(fail('RECORDING_TAMPERED', r.path, `${where}: ${v.detail}`, 'tampered').line);
    if (v.status === 'missing') console.error(fail('RECORDING_TAMPERED', r.path, `${where}: gone, and never uploaded`, 'deleted').line);
  }
  console.log(`recordings: ${sealed.length} sealed, ${counts.ok} match their sealed sha256, ${counts.uploaded} pruned after upload, ${counts.modified} modified, ${counts.missing} missing`);
  return counts.modified + counts.missing;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('the hash-chained audit trail: verify, query, tail, export');
  bucketOptions(
    audit
      .command('verify')
      .description('check the hash chains and checkpoint signatures; names the first modified, deleted, inserted or reordered line')
      .option('--data <dir>', 'data directory')
      .option('--since <iso>', 'first day to check (its first line is trusted as the anchor)')
      .option('--until <iso>', 'last day to check')
      .option('--no-recordings', 'skip hashing the recordings the trail sealed')
      .option('--key <file>', 'trust only this audit public key (PEM, as `audit key` prints it, or an ssh-ed25519 line) from a copy kept off the host')
      .option('--fingerprint <SHA256:...>', "trust the data directory's key (or --key's) only if it has this fingerprint, the one `init` printed")
      .option('--syslog-export <file>', 'check against the checkpoints a SIEM stored from audit.anchors.syslog (RFC 5424 lines) instead of the bucket'),
  ).action(async (opts: BucketOptions & PinOptions & { since?: string; until?: string; recordings: boolean; syslogExport?: string }) => {
      // Exit 3: tampered, or not signed by the pinned key (src/cli/main.ts maps the thrown AUDIT_KEY_MISMATCH); 1: anything else.
      const since = isoOption(opts.since, '--since');
      const until = isoOption(opts.until, '--until');
      if (fromBucket(opts)) {
        if (await verifyBucket(opts, since, until)) process.exitCode = 3;
        return;
      }
      const dir = openDataDir(dataDirFrom(opts.data));
      const { key, pinned } = trustedKey(opts, () => ({ key: localAuditKey(dir), where: `the audit key of this data directory (${auditKeyFile(dir)})` }));
      const other = pinned ? otherKey(opts.data, key) : undefined;
      const results = verifyAll(dir, since, until, key);
      const shipping = dir.config.shipping;
      const anchors = opts.syslogExport ? syslogAnchors(opts.syslogExport, key) : shipping.bucket ? bucketAnchors(new BucketReader(bucketLocation({}, shipping))) : undefined;
      const own = new Set([nodeName(dir), `${nodeName(dir)}-admin`]);
      let bad = await verifyAnchors(anchors, results.map((r) => r.chain), (chain) => readSegments(join(auditRoot(dir), chain), since, until), (chain) => own.has(chain));
      if (results.length === 0) {
        const sessions = await withStore({ data: dir.dir }, (store) => store.listSessions());
        if (sessions.length) bad += complain(`the trail is missing, though the session index holds ${sessions.length} session(s)`);
        else console.log('no audit events yet');
        if (bad) process.exitCode = 3;
        return;
      }
      for (const { chain, verdict } of results) {
        if (verdict.ok) console.log(describeVerdict(chain, verdict));
        else {
          bad++;
          console.error(failureLine('', chain, verdict, () => readSegments(join(auditRoot(dir), chain), since, until), !since, { key, other }));
        }
      }
      if (opts.recordings) bad += await verifyRecordings(dir, since, until);
      if (!pinned) console.log(UNPINNED);
      if (bad) process.exitCode = 3;
    });
  registerAuditKey(audit);
  bucketOptions(
    audit
      .command('query <sql>')
      .description('run SQL (DuckDB) over the view `events` (--from-bucket: over the segments shipped to the bucket)')
      .option('--data <dir>', 'data directory')
      .option('--since <iso>', 'only events at or after (only the daily segments from that day on are read)')
      .option('--until <iso>', 'only events before')
      .option('--json', 'one JSON object per row'),
  ).action(async (sql: string, opts: BucketOptions & { json?: boolean; since?: string; until?: string }) => {
    const view: EventsView = { since: isoOption(opts.since, '--since'), until: isoOption(opts.until, '--until') };
    let downloaded: string | undefined;
    let files: string[];
    if (fromBucket(opts)) {
      const reader = bucketReader(opts);
      let problems: string[];
      ({ dir: downloaded, paths: files, problems } = await reader.auditSegments(view.since, view.until));
      // The query runs over what is there; what is not is said (audit verify --from-bucket tells more).
      for (const p of problems) console.error(`warning: ${p}`);
      view.filenames = { from: `${downloaded}/`, to: reader.url() }; // filename names the object, not the temporary copy
    } else files = segmentFiles(auditRoot(openDataDir(dataDirFrom(opts.data))), view.since, view.until);
    let result;
    try {
      const conn = await openEvents(files, view);
      result = await query(conn, sql);
    } catch (err) {
      throw fail('ARGUMENT_INVALID', `query failed: ${(err as Error).message.split('\n')[0]}${jsonArrowHint(sql)}`);
    } finally {
      if (downloaded) await rm(downloaded, { recursive: true, force: true });
    }
    if (opts.json) {
      for (const r of result.rows) console.log(JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c, cell(r[i])]))));
    } else printTable(result.columns, result.rows.map((r) => r.map(cell)));
  });
  audit
    .command('export <out>')
    .description('write events to a file DuckDB, Athena or a spreadsheet can read')
    .requiredOption('--format <format>', 'parquet, csv or jsonl')
    .option('--since <iso>', 'events at or after')
    .option('--until <iso>', 'events before')
    .option('--data <dir>', 'data directory')
    .action(async (out: string, opts: { format: string; since?: string; until?: string; data?: string }) => {
      if (!['parquet', 'csv', 'jsonl'].includes(opts.format)) throw fail('ARGUMENT_INVALID', `--format must be parquet, csv or jsonl, not '${opts.format}'`);
      const dir = openDataDir(dataDirFrom(opts.data));
      const conn = await openEvents(segmentFiles(auditRoot(dir)), { writes: resolve(out) });
      await exportEvents(conn, opts.format as 'parquet', resolve(out), timeWhere(isoOption(opts.since, '--since'), isoOption(opts.until, '--until')));
      console.log(`wrote ${out}`);
    });
  audit
    .command('tail')
    .description('print recent events; -f follows new ones')
    .option('-f, --follow', 'keep printing new events')
    .option('-n, --lines <n>', 'how many recent events', '20')
    .option('--user <user>', 'only this user')
    .option('--event <name>', 'only this event name')
    .option('--json', 'raw JSON lines')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { follow?: boolean; lines: string; user?: string; event?: string; json?: boolean; data?: string }) => {
      const dir = openDataDir(dataDirFrom(opts.data));
      const root = auditRoot(dir);
      const seen = new Map<string, number>();
      const matches = (e: Record<string, unknown>) => e.eventName && (!opts.user || e.user === opts.user) && (!opts.event || e.eventName === opts.event);
      const format = (e: Record<string, unknown>) =>
        opts.json ? JSON.stringify(e) : [e.eventTime, e.eventName, e.user ?? '-', e.sourceIp ?? '-', e.target ? `${e.login ?? ''}@${e.target}` : '-', e.sessionId ?? '-', e.reason ?? ''].join('  ');
      const read = () => {
        const fresh: Record<string, unknown>[] = [];
        for (const file of segmentFiles(root)) {
          const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
          for (const l of lines.slice(seen.get(file) ?? 0)) {
            try {
              const e = JSON.parse(l) as Record<string, unknown>;
              if (matches(e)) fresh.push(e);
            } catch {
              // a line being written; it is read whole next time
            }
          }
          seen.set(file, lines.length);
        }
        return fresh.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
      };
      for (const e of read().slice(-Number(opts.lines))) console.log(format(e));
      if (!opts.follow) return;
      await new Promise<never>(() => setInterval(() => read().forEach((e) => console.log(format(e))), 500));
    });
}

/** One tamper finding on stderr; counts as one. */
function complain(problem: string): number {
  console.error(fail('AUDIT_TAMPERED', problem).line);
  return 1;
}

/** DuckDB's -> and ->> bind more loosely than = and AND: `a AND details->>'x' = 'y'` fails with a cast error. */
export function jsonArrowHint(sql: string): string {
  return /->>?/.test(sql) ? ` (in DuckDB, -> and ->> bind more loosely than = and AND: put them in parentheses, (details->>'command') = 'x')` : '';
}
