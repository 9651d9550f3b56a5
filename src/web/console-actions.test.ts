import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReason, setUserLocked, terminateSession, type ActionDeps } from './console-actions.js';
import type { SessionRecord } from '../store/store.js';

function deps(opts: { auditFails?: boolean; state?: SessionRecord['state']; killFails?: boolean } = {}) {
  const log: string[] = [];
  let changed = 0;
  const d: ActionDeps = {
    index: {
      getSession: async (k) => (k === 'k1' ? ({ auditKey: 'k1', user: 'alice', state: opts.state ?? 'live' } as SessionRecord) : undefined),
      requestTermination: async (k, reason) => (log.push(`kill ${k} ${reason}`), !opts.killFails),
    },
    users: { getUser: async (n) => (n === 'alice' ? { name: n, createdAt: '', disabled: false } : undefined), setUserDisabled: async (n, dis) => (log.push(`disable ${n} ${dis}`), true) },
    audit: {
      record: async (name: string, ctx: object, fields?: object) => {
        if (opts.auditFails) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
        log.push(`${name} ${JSON.stringify(ctx)} ${JSON.stringify(fields)}`);
      },
    } as ActionDeps['audit'],
    storeChanged: () => void changed++,
  };
  return { d, log, changed: () => changed };
}
const op = { name: 'ops', ip: '10.0.0.9' };

test('terminate: the event (operator, key, user, reason) before the request, then the live re-check is told', async () => {
  const { d, log, changed } = deps();
  assert.deepEqual(await terminateSession(d, op, 'k1', '  leaving now '), { ok: true, message: 'asked the bastion to end k1' });
  assert.deepEqual(log, ['SessionTerminated {"user":"ops","sourceIp":"10.0.0.9"} {"auditKey":"k1","sessionUser":"alice","reason":"leaving now"}', 'kill k1 leaving now']);
  assert.equal(changed(), 1);
});

test('terminate: no event, no change without a reason, for an unknown or ended session, or when the trail cannot be written', async () => {
  for (const [args, status] of [[['k1', ''], 400], [['k2', 'x'], 404], [['k1', 'bad \u001b[2J'], 400]] as const) {
    const { d, log } = deps();
    const r = await terminateSession(d, op, args[0], args[1]);
    assert.equal(r.ok ? 200 : r.status, status);
    assert.deepEqual(log, []);
  }
  const ended = deps({ state: 'closed' });
  assert.equal((await terminateSession(ended.d, op, 'k1', 'x') as { status: number }).status, 409);
  const noTrail = deps({ auditFails: true });
  const r = await terminateSession(noTrail.d, op, 'k1', 'x');
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /AUDIT_UNAVAILABLE|ENOSPC/);
  assert.deepEqual(noTrail.log, [], 'nothing applied');
});

test('terminate that does not apply: a second event with result failure', async () => {
  const { d, log, changed } = deps({ killFails: true });
  const r = await terminateSession(d, op, 'k1', 'x');
  assert.equal(r.ok, false);
  assert.match(log.at(-1)!, /"result":"failure","error":"the session ended meanwhile"/);
  assert.equal(changed(), 0);
});

test('lock needs a reason, unlock does not; both go through setUserDisabled', async () => {
  const { d, log } = deps();
  assert.equal((await setUserLocked(d, op, 'alice', true, '') as { status: number }).status, 400);
  assert.equal((await setUserLocked(d, op, 'alice', true, 'stolen laptop')).ok, true);
  assert.equal((await setUserLocked(d, op, 'alice', false, undefined)).ok, true);
  assert.equal((await setUserLocked(d, op, 'bob', true, 'x') as { status: number }).status, 404);
  assert.deepEqual(log.map((l) => l.split(' {')[0]), ['UserLockedByConsole', 'disable alice true', 'UserUnlockedByConsole', 'disable alice false']);
});

test('checkReason', () => {
  assert.deepEqual(checkReason('x'.repeat(301), true), { error: 'the reason is longer than 300 characters' });
  assert.deepEqual(checkReason(42, false), { reason: '' });
  assert.deepEqual(checkReason('ok', true), { reason: 'ok' });
});
