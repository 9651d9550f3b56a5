// The shared PostgreSQL store goes away: the alert delivery loop notices within a second or so, and the outage is an
// alert (control-failures, StoreUnavailable) that waits in memory and reaches the webhook once the store is back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion } from './helpers/fumidai.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';
import { alertsYaml, HttpReceiver } from './helpers/alert-receivers.js';

describe('store outage alert', () => {
  const b = new Bastion();
  const http = new HttpReceiver('store-secret');
  let pg: Postgres;

  before(async () => {
    await http.start();
    pg = await startPostgres();
    const url = await pg.newDatabase('fumidai');
    await b.init({ '# url: postgres://fumidai@db.internal:5432/fumidai': `url: ${url}` });
    appendFileSync(join(b.data, 'fumidai.yaml'), alertsYaml({ http: http.port }).replace(/\n {4}- \{ name: slack.*\n/, '\n'));
    writeFileSync(join(b.data, 'alert-hook.secret'), 'store-secret', { mode: 0o600 });
    await b.start();
  });
  after(async () => {
    await b.stop();
    await pg?.stop();
    await http.stop();
  });

  test('PostgreSQL down for a few seconds: a StoreUnavailable alert arrives when it is back', { timeout: 90_000 }, async () => {
    await pg.halt();
    for (let i = 0; i < 100 && !b.log.includes('alerts cannot be spooled'); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(b.log.includes('alerts cannot be spooled'), 'the outage was seen');
    assert.equal(http.got.length, 0);
    await pg.resume();
    const got = await http.until((g) => g.some((r) => r.body.includes('"name":"StoreUnavailable"')), 40_000);
    const a = JSON.parse(got.find((r) => r.body.includes('"name":"StoreUnavailable"'))!.body) as { rule: string; severity: string };
    assert.deepEqual([a.rule, a.severity], ['control-failures', 'critical']);
    assert.equal(got.filter((r) => r.body.includes('"name":"StoreUnavailable"')).length, 1, 'one alert for one outage');
  });
});
