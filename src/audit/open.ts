// Where a data directory's audit trail lives, and opening it for the server (node chain) or the CLI (admin chain).
import { hostname, userInfo } from 'node:os';
import { closeSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DataDir } from '../config/data-dir.js';
import { ANCHOR_DIR, stageCheckpoint } from './anchor-stage.js';
import { AuditLog, type AuditLogOptions } from './audit-log.js';
import { loadAuditKey, type AuditKeyPair } from './keys.js';
import { assertKeySignedTrail } from './key-check.js';
import type { EventDetails } from './events.js';
import { AuditTrail } from './trail.js';

export const auditRoot = (dir: DataDir) => dir.path(dir.config.audit.dir);
/** A node's name when audit.node does not give one: its host name. */
export const defaultNodeName = () => hostname().replace(/[^-A-Za-z0-9_.]/g, '-');
export const nodeName = (dir: DataDir) => dir.config.audit.node ?? defaultNodeName();
/** audit.keyFile: relative to the data directory, or absolute. */
export const auditKeyFile = (dir: DataDir) => dir.path(dir.config.audit.keyFile);
/** Checkpoints are staged to leave the host when some anchor is configured: the bucket, a remote syslog. */
export const anchoringConfigured = (dir: DataDir) => Boolean(dir.config.shipping.bucket || dir.config.audit.anchors.syslog);
/** This node's chains: the server's and the one of its administrative commands. */
export const nodeChains = (dir: DataDir) => [join(auditRoot(dir), nodeName(dir)), join(auditRoot(dir), `${nodeName(dir)}-admin`)];

/** The signing key, refused (AUDIT_KEY_MISSING, AUDIT_KEY_CHANGED) unless it is there and signed this node's trail so far. */
export function openAuditKey(dir: DataDir, chains = nodeChains(dir)): AuditKeyPair {
  const file = auditKeyFile(dir);
  const pair = loadAuditKey(file);
  assertKeySignedTrail(chains, pair.publicKey, file);
  return pair;
}

/** The server's trail: one chain per node. */
export function openAuditTrail(dir: DataDir, logger: Logger, onCheckpoint?: AuditLogOptions['onCheckpoint']): AuditTrail {
  const key = openAuditKey(dir).privateKey;
  const sshdLines = dir.config.audit.sshdLines === 'stderr' ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
  const log = new AuditLog(join(auditRoot(dir), nodeName(dir)), key, { checkpointIntervalMs: dir.config.audit.checkpointInterval * 1000, onCheckpoint });
  if (log.torn) logger.warn({ segment: log.torn.segment, bytes: log.torn.bytes }, 'the audit trail ended in an unfinished line (the process died while writing it): moved to its .torn file');
  return new AuditTrail(log, logger, sshdLines);
}

/** Who ran an administrative command: the login behind sudo if there is one. */
export function operator(): string {
  return process.env.SUDO_USER || userInfo().username;
}

/**
 * Appends one administrative event to the node's admin chain. CLI processes are short-lived and may run at the same
 * time, so each append holds a lock file and re-reads the chain's tail.
 */
export async function recordAdminChange(dir: DataDir, action: string, details: EventDetails['AdminChange'], result: 'success' | 'failure' = 'success'): Promise<void> {
  await recordAdminEvent(dir, { eventName: 'AdminChange', user: operator(), reason: action, result, details });
}

/** One event in the node's admin chain (the CLI's), under its lock: an AdminChange, or an approver's decision. */
export async function recordAdminEvent(dir: DataDir, event: Parameters<AuditLog['record']>[0]): Promise<void> {
  const chainDir = join(auditRoot(dir), `${nodeName(dir)}-admin`);
  mkdirSync(chainDir, { recursive: true, mode: 0o700 });
  const lock = join(chainDir, '.lock');
  const deadline = Date.now() + 10_000;
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    // Checked under the lock: no append races it. Its checkpoints wait in the staging directory for the server to send.
    const anchors = anchoringConfigured(dir) ? dir.path(ANCHOR_DIR) : undefined;
    const onCheckpoint = anchors === undefined ? undefined : (line: string) => void stageCheckpoint(anchors, `${nodeName(dir)}-admin`, (JSON.parse(line) as { seq: number }).seq, line);
    const log = new AuditLog(chainDir, openAuditKey(dir, [chainDir]).privateKey, { onCheckpoint });
    await log.record(event);
    await log.close(); // each admin append ends with a signed checkpoint: no open tail waits for a next command
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}
