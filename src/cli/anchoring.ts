// The anchors this configuration asks for, built once for the server (and for `fumidai ship`): the bucket where
// shipping.bucket is set, a remote syslog where audit.anchors.syslog is. Each takes the same staged checkpoints.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ANCHOR_DIR, listStaged, stageCheckpoint } from '../audit/anchor-stage.js';
import { logEvent } from '../audit/log-events.js';
import { nodeName } from '../audit/open.js';
import type { AuditTrail } from '../audit/trail.js';
import { SYSLOG_FACILITIES } from '../config/schema.js';
import type { DataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { pruneStaged, type Anchor } from '../shipping/anchor.js';
import { checkTailAgainstAnchors } from '../shipping/anchor-check.js';
import { BucketAnchor } from '../shipping/anchors.js';
import { BacklogAlarm } from '../shipping/backlog-alarm.js';
import { bucketLocation, BucketReader } from '../shipping/bucket-reader.js';
import { s3Client } from '../shipping/s3-client.js';
import { SyslogAnchor } from '../shipping/syslog-anchor.js';
import type { SyslogTarget } from '../shipping/syslog-link.js';
import type { Store } from '../store/store.js';

/** The remote syslog of audit.anchors.syslog, its CA read now (a missing file stops the start, not a round). */
export function syslogAnchorFor(dir: DataDir): SyslogAnchor | undefined {
  const c = dir.config.audit.anchors.syslog;
  if (!c) return undefined;
  let tls: SyslogTarget['tls'] = false;
  if (c.tls) {
    const o = c.tls === true ? {} : c.tls;
    let ca: Buffer | undefined;
    try {
      ca = o.ca ? readFileSync(dir.path(o.ca)) : undefined;
    } catch (err) {
      throw fail('CONFIG_INVALID', dir.configFile, 'audit.anchors.syslog.tls.ca', `cannot read ${dir.path(o.ca!)}: ${(err as Error).message}`);
    }
    tls = { ...(ca ? { ca } : {}), ...(o.servername ? { servername: o.servername } : {}) };
  }
  return new SyslogAnchor({
    target: { host: c.host, port: c.port, tls },
    sender: { facility: SYSLOG_FACILITIES.indexOf(c.facility), hostname: c.hostname ?? nodeName(dir), appName: c.appName },
    dir: dir.path(ANCHOR_DIR),
  });
}

export function anchorsFor(dir: DataDir, store: Store): Anchor[] {
  const shipping = dir.config.shipping;
  const anchors: Anchor[] = [];
  if (shipping.bucket) anchors.push(new BucketAnchor(store, shipping, dir.path(ANCHOR_DIR), s3Client(shipping)));
  const syslog = syslogAnchorFor(dir);
  if (syslog) anchors.push(syslog);
  return anchors;
}

/** The trail's checkpoint hook: stages the line once, and each anchor sends it in its turn. */
export function stageFor(dir: DataDir, anchors: () => readonly Anchor[]): (line: string) => void {
  return (line) => {
    stageCheckpoint(dir.path(ANCHOR_DIR), nodeName(dir), (JSON.parse(line) as { seq: number }).seq, line);
    for (const a of anchors()) void a.flush();
  };
}

/**
 * Sends what a previous run (or a CLI command) left waiting, and checks that the local tail still matches the newest
 * checkpoint anchored in the bucket: if it does not, the chain goes on (the bastion serves), and AuditTampered says
 * what was found. (A syslog cannot be read back: `audit verify --syslog-export` checks against it.)
 */
export async function startAnchoring(anchors: readonly Anchor[], audit: AuditTrail, dir: DataDir, log: Logger): Promise<void> {
  const threshold = dir.config.audit.anchorBacklogAlert;
  for (const anchor of anchors) {
    const to = anchor.name;
    const alarm = new BacklogAlarm(threshold);
    anchor.onRound = (r) => {
      logEvent(log, r.error ? 'warn' : 'info', 'Anchoring', { to, ...r }, r.error ? `checkpoints wait for the ${to}` : `checkpoints anchored in the ${to}`);
      const state = alarm.observe(r.backlog);
      if (state) void audit.record('AnchorBacklog', {}, { anchor: to, state, waiting: r.backlog, threshold, ...(r.error ? { error: r.error, reason: r.error } : {}) }).catch(() => undefined);
    };
    void anchor.flush();
    setInterval(() => void anchor.flush(), 10_000).unref(); // CLI commands only stage theirs
  }
  // Staged files every anchor has sent go after ten minutes (a syslog resends its last minute from them).
  const prune = () => void pruneStaged(anchors, listStaged(dir.path(ANCHOR_DIR)), 10 * 60_000).catch((err: Error) => log.warn({ err: err.message }, 'could not prune sent checkpoints'));
  prune();
  setInterval(prune, 10 * 60_000).unref();
  if (!dir.config.shipping.bucket) return;
  const chain = nodeName(dir);
  // A bucket that does not answer at start (down, or a passing error) is asked again, 1 s doubling to a minute, until
  // it does: cutting the bucket off for the moment of a restart must not skip the check.
  const check = async (attempt: number): Promise<void> => {
    try {
      const problems = await checkTailAgainstAnchors(new BucketReader(bucketLocation({}, dir.config.shipping)), chain, audit.dir);
      if (attempt > 0) log.info({ attempt }, 'the audit trail was checked against its anchored checkpoints');
      if (!problems.length) return;
      log.error({ problems }, 'the audit trail does not match its anchored checkpoints');
      await audit.record('AuditTampered', {}, { chain, problems, reason: problems[0]! }).catch(() => undefined);
    } catch (err) {
      if (attempt === 0) log.warn({ err: (err as Error).message }, 'could not check the audit trail against its anchored checkpoints; asked again until the bucket answers');
      setTimeout(() => void check(attempt + 1), Math.min(60_000, 1000 * 2 ** attempt)).unref();
    }
  };
  await check(0);
}
