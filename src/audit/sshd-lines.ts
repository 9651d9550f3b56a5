// Classic sshd log lines for SIEMs that parse auth.log (pure formatting of an audit event).
import type { AuditEvent } from './events.js';

const keyType = (fp: unknown) => (typeof fp === 'string' ? fp : '');

export function sshdLine(e: AuditEvent): string | undefined {
  const from = `from ${e.sourceIp ?? '?'} port ${e.sourcePort ?? 0} ssh2`;
  const d = e.details ?? {};
  switch (e.eventName) {
    case 'AuthSuccess':
      return `Accepted ${String(d.method ?? 'publickey')} for ${e.user} ${from}: ${String(d.keyType ?? 'KEY')} ${keyType(d.fingerprint)}`.trim();
    case 'AuthFailure':
      return `Failed ${String(d.method ?? 'publickey')} for ${e.user ?? `invalid user ${String(d.sshUser ?? '')}`} ${from}${d.fingerprint ? `: ${keyType(d.fingerprint)}` : ''} (${e.reason ?? 'failed'})`;
    case 'MfaFailure':
      return `Failed keyboard-interactive/totp for ${e.user} ${from} (${e.reason ?? 'failed'})`;
    case 'ConnectionClosed':
      return `Disconnected from user ${e.user ?? '?'} ${e.sourceIp ?? '?'} port ${e.sourcePort ?? 0}`;
    case 'SessionStart':
      return `session opened for user ${e.user} to ${e.login}@${e.target} (audit key ${e.sessionId})`;
    case 'SessionEnd':
      return `session closed for user ${e.user} to ${e.login}@${e.target} (audit key ${e.sessionId})`;
    default:
      return undefined;
  }
}
