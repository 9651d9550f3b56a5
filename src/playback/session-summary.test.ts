import { test } from 'node:test';
import assert from 'node:assert/strict';
import { distinctHits, sessionSummary } from './session-summary.js';

test('session summary: what a session was, in one line', () => {
  assert.deepEqual(sessionSummary([{ kind: 'shell' }]), { kind: 'shell', what: 'shell' });
  assert.deepEqual(sessionSummary([{ kind: 'exec', command: 'uptime\n' }]), { kind: 'exec', what: 'exec: uptime ' });
  assert.deepEqual(sessionSummary([{ kind: 'shell' }, { kind: 'direct-tcpip' }, { kind: 'direct-tcpip' }]), { kind: 'shell,direct-tcpip', what: 'shell; direct-tcpip ×2' });
  assert.deepEqual(sessionSummary([]), { kind: '-', what: '(no channel)' });
});

test('search hits: the same text in the same channel is one hit, at its first offset, with a count', () => {
  const hit = (offset: number, snippet: string, channel = 1) => ({ auditKey: 'k', channel, offset, snippet });
  assert.deepEqual(distinctHits([hit(1, '[secret] x'), hit(2, '[secret]  x'), hit(3, 'other [secret]'), hit(4, '[secret] x', 2)]), [
    { ...hit(1, '[secret] x'), times: 2 },
    { ...hit(3, 'other [secret]'), times: 1 },
    { ...hit(4, '[secret] x', 2), times: 1 },
  ]);
});
