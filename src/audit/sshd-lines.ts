// Classic sshd log lines for SIEMs that parse auth.log (pure formatting of an audit event).
// Every field is escaped as OpenSSH escapes what it logs (strnvis, octal style): a user name chosen by a client
// before login can never start a line of its own, nor pass for a field boundary a parser relies on.
import type { AuditEvent } from './events.js';

/** Bytes outside printable ASCII, and the backslash itself, as \ooo octal escapes; UTF-8 is escaped byte by byte. */
export function vis(value: unknown): string {
  const s = String(value);
  if (/^[\x20-\x5b\x5d-\x7e]*$/.test(s)) return s;
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b <= 0x7e && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
  return out;
}

/** A template whose every interpolated value is escaped: no field can be written raw by mistake. */
function line(parts: TemplateStringsArray, ...values: unknown[]): string {
  return parts.reduce((out, part, i) => out + part + (i < values.length ? vis(values[i]) : ''), '');
}

export function sshdLine(e: AuditEvent): string | undefined {
  const d = e.details ?? {};
  const ip = e.sourceIp ?? '?';
  const port = e.sourcePort ?? 0;
  const method = d.method ?? 'publickey';
  const fingerprint = typeof d.fingerprint === 'string' ? d.fingerprint : '';
  switch (e.eventName) {
    case 'AuthSuccess':
      return line`Accepted ${method} for ${e.user} from ${ip} port ${port} ssh2: ${d.keyType ?? 'KEY'} ${fingerprint}`.trim();
    case 'AuthFailure': {
      const who = e.user ? line`${e.user}` : line`invalid user ${d.sshUser ?? ''}`;
      return `Failed ${vis(method)} for ${who} ${line`from ${ip} port ${port} ssh2`}${fingerprint ? line`: ${fingerprint}` : ''} ${line`(${e.reason ?? 'failed'})`}`;
    }
    case 'MfaFailure':
      return line`Failed keyboard-interactive/totp for ${e.user} from ${ip} port ${port} ssh2 (${e.reason ?? 'failed'})`;
    case 'ConnectionClosed':
      return line`Disconnected from user ${e.user ?? '?'} ${ip} port ${port}`;
    case 'SessionStart':
      return line`session opened for user ${e.user} to ${e.login}@${e.target} (audit key ${e.sessionId})`;
    case 'SessionEnd':
      return line`session closed for user ${e.user} to ${e.login}@${e.target} (audit key ${e.sessionId})`;
    default:
      return undefined;
  }
}
