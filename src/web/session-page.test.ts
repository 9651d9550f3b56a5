import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../audit/events.js';
import { sessionPage } from './session-page.js';

test('session page: the rules a session matched have their own section, escaped', () => {
  const session = { auditKey: 'alice-1', user: 'alice', sourceIp: '127.0.0.1', sourcePort: 5000, target: 'web1', login: 'root', startedAt: '2026-01-01T00:00:00Z', state: 'closed' as const };
  const matched: AuditEvent = {
    eventId: 'e1', eventTime: '2026-01-01T00:00:01Z', eventName: 'CommandMatched', eventCode: 'FM7000W', sessionId: 'alice-1', user: 'alice', result: 'failure',
    reason: 'nothing is removed by hand here', details: { rule: 'no-rm', action: 'deny', on: 'exec', line: `r''m -rf /srv <b>` },
  };
  const page = sessionPage({ session, channels: [], typed: [], fileOps: [] }, { name: 'ann', role: 'auditor', csrf: 'x' }, { events: [matched], more: false });
  assert.match(page, /<h2>Rule matches<\/h2>/);
  assert.match(page, /<td>exec<\/td><td>no-rm<\/td><td>deny<\/td>\s*<td>refused<\/td><td class="what">r&#39;&#39;m -rf \/srv &lt;b&gt;<\/td><td>nothing is removed by hand here<\/td>/);
  const none = sessionPage({ session, channels: [], typed: [], fileOps: [] }, { name: 'ann', role: 'auditor', csrf: 'x' }, { events: [], more: false });
  assert.doesNotMatch(none, /Rule matches/);
});

test('session page: a channel with nothing typed says so instead of an empty block; typed lines are shown, escaped', () => {
  const session = { auditKey: 'alice-2', user: 'alice', sourceIp: '127.0.0.1', sourcePort: 5000, target: 'web1', login: 'root', startedAt: '2026-01-01T00:00:00Z', state: 'closed' as const };
  const who = { name: 'ann', role: 'auditor', csrf: 'x' };
  const page = sessionPage({ session, channels: [], typed: [{ channel: 1, lines: [] }, { channel: 2, lines: ['', ' '] }, { channel: 3, lines: ['ls <dir>'] }], fileOps: [] }, who);
  const section = page.slice(page.indexOf('<h2>Commands typed</h2>'));
  assert.equal(section.match(/<p class="nothing-typed">nothing typed<\/p>/g)?.length, 2);
  assert.equal(section.match(/<pre class="typed">/g)?.length, 1);
  assert.match(section, /<pre class="typed">ls &lt;dir&gt;<\/pre>/);
});
