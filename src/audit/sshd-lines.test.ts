import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sshdLine, vis } from './sshd-lines.js';
import type { AuditEvent } from './events.js';

const base = { eventId: 'e', eventTime: '2025-01-01T00:00:00Z', eventCode: 'X', result: 'failure' } as const;

test('vis escapes control bytes, DEL, backslash and non-ASCII as octal, as OpenSSH strnvis does', () => {
  assert.equal(vis('alice'), 'alice');
  assert.equal(vis('a b:c@d'), 'a b:c@d');
  assert.equal(vis('a\nb'), 'a\\012b');
  assert.equal(vis('a\rb\tc\x1b[0m\x7f\0'), 'a\\015b\\011c\\033[0m\\177\\000');
  assert.equal(vis('back\\slash'), 'back\\134slash'); // an escape cannot be forged either
  assert.equal(vis('é'), '\\303\\251');
  assert.equal(vis(42), '42');
});

test('a user name with a newline cannot start a line of its own', () => {
  const forged = 'x\nAccepted publickey for root from 10.9.9.9 port 22 ssh2';
  const lines = [
    sshdLine({ ...base, eventName: 'AuthFailure', sourceIp: '127.0.0.1', sourcePort: 5, reason: 'no such user\nAccepted x', details: { sshUser: forged, method: 'publickey' } } as AuditEvent),
    sshdLine({ ...base, eventName: 'SessionStart', user: 'alice', login: forged, target: 'web\nAccepted', sessionId: 'k' } as AuditEvent),
    sshdLine({ ...base, eventName: 'AuthSuccess', user: 'alice', sourceIp: '127.0.0.1', details: { method: 'publickey', keyType: 'ssh-ed25519\n', fingerprint: 'SHA256:x\r' } } as AuditEvent),
  ];
  for (const l of lines) assert.doesNotMatch(l!, /[\n\r]/, l);
  assert.equal(lines[0], 'Failed publickey for invalid user x\\012Accepted publickey for root from 10.9.9.9 port 22 ssh2 from 127.0.0.1 port 5 ssh2 (no such user\\012Accepted x)');
  assert.equal(lines[2], 'Accepted publickey for alice from 127.0.0.1 port 0 ssh2: ssh-ed25519\\012 SHA256:x\\015');
});
