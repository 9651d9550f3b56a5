import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceThrottle } from '../auth/throttle.js';
import { WebLogin, type LoginDeps } from './login.js';

test('web login: after banAfter failures from an address it is refused before the account or password is looked at', async () => {
  const events: string[] = [];
  const bans: string[] = [];
  let lookups = 0;
  const accounts = {
    getWebAccount: async () => {
      lookups++;
      return undefined;
    },
    recordWebFailure: async () => ({ consecutiveFailures: 1 }),
    banSource: async (ip: string) => void bans.push(ip),
    sourceBans: async () => [{ ip: 'web:10.0.0.9', until: new Date(Date.now() + 60_000).toISOString() }, { ip: '10.0.0.8', until: new Date(Date.now() + 60_000).toISOString() }],
  };
  const login = new WebLogin({
    accounts: accounts as unknown as LoginDeps['accounts'],
    audit: { record: async (name: string) => void events.push(name) } as unknown as LoginDeps['audit'],
    seeds: {} as LoginDeps['seeds'],
    rules: () => ({ lockAfter: 5, lockMinutes: 30 }),
    throttle: new SourceThrottle({ banAfter: 2, windowSec: 600, banSec: 600 }),
    banSeconds: 600,
  });
  assert.deepEqual(await login.password('x', 'wrong', '10.0.0.1'), { ok: false, message: 'Login refused.' });
  assert.deepEqual(await login.password('x', 'wrong', '10.0.0.1'), { ok: false, message: 'Login refused.' });
  assert.deepEqual(events, ['WebLoginFailure', 'WebLoginFailure', 'WebAddressBanned']);
  assert.deepEqual(bans, ['web:10.0.0.1'], 'counted apart from SSH, and shared through the store');
  const before = lookups;
  const r = await login.password('ann', 'right', '10.0.0.1');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.banned, true);
  assert.match(!r.ok ? r.message : '', /^too many failed logins from this address; try again in 600 s$/);
  assert.equal(lookups, before, 'nothing checked');
  assert.equal(login.banned('10.0.0.2'), undefined, 'another address may try');
  await login.adoptBans();
  assert.equal(login.banned('10.0.0.9')?.ok, false, "another node's console ban");
  assert.equal(login.banned('10.0.0.8'), undefined, 'an SSH ban is not a console ban');
});
