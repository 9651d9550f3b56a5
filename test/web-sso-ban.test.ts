// Failed single sign-on callbacks count toward the console's per-address ban, as wrong passwords do: with
// auth.banAfter at 3, the fourth callback from the address is answered 429 before anything else, and so is a new
// single sign-on start; a WebAddressBanned event says so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchPinned, readTrail } from './helpers/web-console.js';
import { startSsoConsole, type SsoConsole } from './helpers/sso-console.js';

describe('console single sign-on: failed callbacks and the per-address ban', () => {
  let c: SsoConsole;

  before(async () => {
    c = await startSsoConsole({ alice: { groups: ['ops'] } }, undefined, { '  banAfter: 20': '  banAfter: 3' });
  });
  after(async () => {
    await c?.bastion.stop();
    await c?.idp.stop();
  });

  test('three forged callbacks from one address: the fourth and a new start are refused 429, WebAddressBanned written', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetchPinned(c.base, c.ca, `/login/sso/callback?code=forged${i}&state=forged`);
      assert.equal(r.status, 400);
      assert.match(r.body, /no single sign-on under way in this browser/);
    }
    const banned = await fetchPinned(c.base, c.ca, '/login/sso/callback?code=forged&state=forged');
    assert.equal(banned.status, 429);
    assert.match(banned.body, /too many failed logins from this address/);
    assert.equal((await fetchPinned(c.base, c.ca, '/login/sso')).status, 429, 'no new sign-in from a banned address');
    const trail = readTrail(c.bastion.data);
    assert.match(trail, /"eventName":"WebAddressBanned"/);
    assert.equal(trail.split('\n').filter((l) => l.includes('"eventName":"WebLoginFailure"') && l.includes('"step":"sso"')).length, 3);
  });
});
