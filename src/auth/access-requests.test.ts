// The request desk on a real (in-memory) SQLite store: two approvals when the rule asks for two, the same approver
// twice refused, a denial ends it, a decision after the pending time refused, every step an event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteStore } from '../store/sqlite-store.js';
import { parsePolicy } from '../policy/document.js';
import type { PolicyDocument } from '../policy/types.js';
import { RequestDesk, spoken, type Decider } from './access-requests.js';

const parsed = parsePolicy(`
groups: { dba: [alice], leads: [bob, dana] }
rules:
  - { name: two-eyes, effect: allow, groups: [dba], targets: [db1], requires: approval, approvers: [leads], approvals: 2, maxDuration: 2h }
`);
if (!parsed.ok) throw new Error(parsed.problem.message);
const policy: PolicyDocument = parsed.policy;

async function desk() {
  const store = new SqliteStore(':memory:');
  await store.addTarget({ name: 'db1', host: '127.0.0.1', port: 22, defaultLogin: 'postgres' });
  const events: [string, Record<string, unknown>][] = [];
  const d = new RequestDesk({
    store,
    policy: { current: async () => policy },
    audit: { record: async (name, ctx, fields) => void events.push([name, { ...ctx, ...fields }]) },
    pendingSec: () => 60,
  });
  return { store, d, events };
}
const as = (name: string): Decider => ({ name, via: 'cli', ctx: {} });

test('two approvals from two approvers; the same one twice is refused; the grant runs from the last', async () => {
  const { store, d, events } = await desk();
  const t0 = new Date('2026-12-05T12:00:00Z');
  const out = await d.request({ user: 'alice' }, ['db1', '--for', '1d', '--reason', 'INC-9'], t0);
  assert.match(out, /^access request #1: postgres@db1 for 2h \(--for capped at rule 'two-eyes' maxDuration 2h\), reason: INC-9/);
  assert.match(await d.approve(1, as('bob'), t0), /1 of 2 approvals; it waits for 1 more/);
  await assert.rejects(d.approve(1, as('bob'), t0), /'bob' approved it already \(APPROVAL_REFUSED\)|'bob' approved it already/);
  const t1 = new Date('2026-12-05T12:00:30Z');
  assert.match(await d.approve(1, as('dana'), t1), /approved: alice may log in to postgres@db1 until 2026-12-05T14:00:30.000Z/);
  const r = (await store.accessRequest(1))!;
  assert.deepEqual([r.state, r.approvers, r.grantedUntil], ['approved', ['bob', 'dana'], '2026-12-05T14:00:30.000Z']);
  assert.deepEqual(events.map(([n, e]) => `${n}:${e.result ?? 'success'}`), ['AccessRequested:success', 'AccessApproved:success', 'AccessApproved:failure', 'AccessApproved:success']);
  await store.close();
});

test('a denial ends the request; no decision after the pending time; refused requests are events too', async () => {
  const { store, d, events } = await desk();
  const t0 = new Date('2026-12-05T12:00:00Z');
  await d.request({ user: 'alice' }, ['db1', '--for', '30m', '--reason', 'x'], t0);
  assert.match(await d.deny(1, as('dana'), 'freeze', t0), /denied: freeze/);
  await assert.rejects(d.approve(1, as('bob'), t0), /it was denied already by dana/);
  await d.request({ user: 'alice' }, ['db1', '--for', '30m', '--reason', 'y'], t0);
  await assert.rejects(d.approve(2, as('bob'), new Date('2026-12-05T12:01:00Z')), /the request expired at 2026-12-05T12:01:00.000Z unapproved/);
  await assert.rejects(d.deny(2, as('alice'), 'mine', t0), /nobody approves their own request/);
  await assert.rejects(d.request({ user: 'bob' }, ['db1', '--for', '30m', '--reason', 'z'], t0), /no rule lets 'bob' ask for postgres@db1/);
  await assert.rejects(d.request({ user: 'alice' }, ['db9', '--for', '30m', '--reason', 'z'], t0), /unknown target 'db9'/);
  await assert.rejects(d.approve(99, as('bob'), t0), /no access request #99/);
  assert.equal(events.filter(([n, e]) => n === 'AccessRequested' && e.result === 'failure').length, 2);
  assert.equal(events.filter(([n]) => n === 'AccessDenied').length, 2, 'the denial and the refused one');
  await store.close();
});

test('spoken durations', () => {
  assert.deepEqual([spoken(90), spoken(7200), spoken(1800), spoken(86400), spoken(5)], ['90s', '2h', '30m', '1d', '5s']);
});
