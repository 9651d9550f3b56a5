import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { LiveSessions } from './live-sessions.js';
import type { Session } from './session.js';

/** A session whose re-check is counted and can be held open (a store that is slow to answer). */
function fakeSession() {
  let rechecks = 0;
  let gate: Promise<void> | undefined;
  const s = {
    channels: { count: 0 },
    access: { resolved: undefined },
    recheck: async () => {
      rechecks++;
      await gate;
      return { revoked: new Map() };
    },
  };
  return { session: s as unknown as Session, rechecks: () => rechecks, hold: (p: Promise<void> | undefined) => (gate = p) };
}
const flush = () => new Promise((r) => setImmediate(r));

test("this process's change rechecks every session at once, without waiting for the next tick", async () => {
  const live = new LiveSessions({ changeToken: async () => 7 }, pino({ level: 'silent' }), () => 60, 10_000);
  const f = fakeSession();
  live.add(f.session);
  await live.tick();
  assert.equal(f.rechecks(), 1, 'the first tick rechecks');
  await live.tick();
  assert.equal(f.rechecks(), 1, 'nothing changed: no recheck');
  live.storeChanged();
  await flush();
  assert.equal(f.rechecks(), 2);
  live.stop();
});

test('a change told while a re-check runs is not lost: another follows', async () => {
  const live = new LiveSessions({ changeToken: async () => 7 }, pino({ level: 'silent' }), () => 60, 10_000);
  const f = fakeSession();
  live.add(f.session);
  await live.tick();
  let open!: () => void;
  f.hold(new Promise<void>((r) => (open = r)));
  live.storeChanged(); // a recheck starts and waits on the store
  await flush();
  assert.equal(f.rechecks(), 2);
  live.storeChanged(); // told meanwhile: after this session was already asked
  f.hold(undefined);
  open();
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(f.rechecks(), 3, 'asked again for the second change');
  live.stop();
});

test('the expiry sweep runs after each re-check, at least every recheckInterval; a failed sweep does not stop the re-check', async () => {
  const swept: number[] = [];
  let fail = false;
  const sweep = async (now: Date) => {
    if (fail) throw new Error('audit down');
    swept.push(now.getTime());
  };
  const live = new LiveSessions({ changeToken: async () => 7 }, pino({ level: 'silent' }), () => 20, 10_000, sweep);
  const f = fakeSession();
  live.add(f.session);
  await live.tick(1_000);
  assert.deepEqual(swept, [1_000], 'after the first re-check');
  await live.tick(1_500);
  assert.deepEqual(swept, [1_000], 'no re-check, no sweep');
  await live.tick(11_100); // the next tick would be past the 20 s interval
  assert.deepEqual(swept, [1_000, 11_100], 'the interval passed: re-check and sweep, with no session changed');
  fail = true;
  live.storeChanged();
  await flush();
  assert.equal(f.rechecks(), 3, 'rechecked all the same');
  live.stop();
});
