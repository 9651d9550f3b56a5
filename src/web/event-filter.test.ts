import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../audit/events.js';
import { cursorOf, filterFields, matches, pageOf, parseEventFilter, type EventFilter } from './event-filter.js';

const ev = (n: number, f: Partial<AuditEvent> = {}): AuditEvent => ({
  eventId: `id-${n}`, eventTime: `2026-12-0${n}T10:00:00.000Z`, eventName: 'SessionStart', eventCode: 'FM2000I', result: 'success', ...f,
});
const filter = (q: Record<string, unknown>): EventFilter => {
  const r = parseEventFilter(q);
  if ('error' in r) throw new Error(r.error);
  return r.filter;
};

test('parseEventFilter: each field checked; empty fields are no filter; bounded limit', () => {
  assert.deepEqual(filter({}), { limit: 100 });
  assert.deepEqual(filter({ type: 'AuthFailure', user: ' bob ', severity: 'warning', since: '2026-12-01', until: '', limit: '5' }), {
    limit: 5, type: 'AuthFailure', user: 'bob', severity: 'warning', since: '2026-12-01T00:00:00.000Z',
  });
  for (const bad of [{ type: 'toString' }, { type: 'Nope' }, { auditKey: '../x' }, { since: 'yesterday' }, { severity: 'error' }, { limit: '0' }, { limit: '501' }, { limit: '2.5' }, { before: 'x' }, { user: 'u'.repeat(65) }]) {
    assert.ok('error' in parseEventFilter(bad), JSON.stringify(bad));
  }
  assert.equal(filter({ auditKey: '20261205T154100Z-alice-0a1b2c3d4e' }).auditKey, '20261205T154100Z-alice-0a1b2c3d4e');
});

test('matches: type, user, audit key (the session or a view of it), time range, severity, cursor', () => {
  const key = '20261205T154100Z-alice-0a1b2c3d4e';
  const e = ev(2, { user: 'alice', sessionId: key });
  assert.ok(matches(e, filter({ type: 'SessionStart', user: 'alice', auditKey: key, severity: 'info' })));
  assert.ok(!matches(e, filter({ user: 'bob' })));
  assert.ok(!matches(e, filter({ severity: 'warning' })));
  assert.ok(matches(ev(3, { eventName: 'RecordingViewed', eventCode: 'FM5001I', details: { auditKey: key } }), filter({ auditKey: key })));
  assert.ok(matches(e, filter({ since: '2026-12-02T10:00:00Z', until: '2026-12-02T10:00:01Z' })));
  assert.ok(!matches(e, filter({ until: '2026-12-02T10:00:00Z' })), 'until is excluded');
  assert.ok(!matches(e, filter({ before: cursorOf(e) })));
  assert.ok(matches(e, filter({ before: cursorOf(ev(3)) })));
  assert.deepEqual(filterFields(filter({ user: 'alice', limit: '3' })), { user: 'alice' });
});

test('pageOf: newest first, a cursor when more; the next page continues where it stopped', () => {
  const all = [ev(1), ev(4), ev(2), ev(3)];
  const p1 = pageOf(all, 3);
  assert.deepEqual(p1.events.map((e) => e.eventId), ['id-4', 'id-3', 'id-2']);
  const p2 = pageOf(all.filter((e) => matches(e, filter({ before: p1.next }))), 3);
  assert.deepEqual(p2.events.map((e) => e.eventId), ['id-1']);
  assert.equal(p2.next, undefined);
});
