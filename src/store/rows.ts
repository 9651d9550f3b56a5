// Rows of either store as the records of store.ts: the SQLite and PostgreSQL schemas use the same column names.
import type { ChannelRecord, FileOpRecord, SessionRecord, SpoolItem, TargetRecord, UserKeyRecord, UserRecord } from './store.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Row = Record<string, any>;

export const toUser = (r: Row): UserRecord => ({ name: r.name, createdAt: r.created_at, disabled: Boolean(r.disabled) });
export const toKey = (r: Row): UserKeyRecord => ({ user: r.user, fingerprint: r.fingerprint, type: r.type, blob: r.blob, comment: r.comment, addedAt: r.added_at });
export const toTarget = (r: Row): TargetRecord => ({
  name: r.name, host: r.host, port: r.port, defaultLogin: r.default_login, createdAt: r.created_at,
  hostKey: r.host_key ?? undefined, hostKeyFingerprint: r.host_key_fingerprint ?? undefined,
  ...(r.allow_sha1_host_key ? { allowSha1HostKey: true } : {}),
  ...(r.cert_login ? { certLogin: true } : {}),
});
export const toSession = (r: Row): SessionRecord => ({
  auditKey: r.audit_key, user: r.user, sourceIp: r.source_ip, sourcePort: r.source_port,
  target: r.target ?? undefined, login: r.login ?? undefined, startedAt: r.started_at,
  endedAt: r.ended_at ?? undefined, exitStatus: r.exit_status ?? undefined, state: r.state, reason: r.reason ?? undefined,
  bytesIn: r.bytes_in ?? undefined, bytesOut: r.bytes_out ?? undefined,
  ...(r.terminate_reason ? { terminationRequested: r.terminate_reason } : {}),
  ...(r.node ? { node: r.node } : {}),
});
export const toChannel = (r: Row): ChannelRecord => ({
  auditKey: r.audit_key, channel: r.channel, kind: r.kind, command: r.command ?? undefined, recordingPath: r.recording_path,
  startedAt: r.started_at, endedAt: r.ended_at ?? undefined, exitStatus: r.exit_status ?? undefined, bytesIn: r.bytes_in,
  bytesOut: r.bytes_out, sha256: r.sha256 ?? undefined, recordingBytes: r.recording_bytes ?? undefined, state: r.state,
  screenPending: Boolean(r.screen_pending),
});
export const toSpool = (r: Row): SpoolItem => ({
  path: r.path, objectKey: r.object_key, kind: r.kind, state: r.state, attempts: r.attempts, lastError: r.last_error ?? undefined,
  nextAttemptAt: r.next_attempt_at, shippedAt: r.shipped_at ?? undefined, shippedSize: r.shipped_size ?? undefined, sha256: r.sha256 ?? undefined,
  pieces: Boolean(r.pieces),
});
export const toFileOp = (r: Row): FileOpRecord => ({
  auditKey: r.audit_key, channel: r.channel, at: r.at, op: r.op, path: r.path, to: r.to_path ?? undefined,
  bytes: r.bytes ?? undefined, sha256: r.sha256 ?? undefined, result: r.result,
});
