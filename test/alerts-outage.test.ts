// The webhook receiver is down for a minute while alerts are raised (sessions running sudo, `fumidai alerts test`):
// they wait in the spool and are retried with backoff, and once it is back every one arrives, exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { alertsYaml, HttpReceiver } from './helpers/alert-receivers.js';

const SECRET = 'outage-secret';

describe('alerts through a receiver outage', () => {
  const b = new Bastion();
  const http = new HttpReceiver(SECRET);
  let web1: Target;
  let cfg = '';

  before(async () => {
    await http.start();
    await b.init();
    appendFileSync(join(b.data, 'fumidai.yaml'), alertsYaml({ http: http.port }).replace(/\n {4}- \{ name: slack.*\n/, '\n'));
    writeFileSync(join(b.data, 'alert-hook.secret'), SECRET, { mode: 0o600 });
    web1 = await b.addTarget('web1');
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    cfg = b.sshConfig('alice', key, { web1: LOGIN });
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await http.stop();
  });

  test('down for a minute: every alert arrives afterwards, once', { timeout: 150_000 }, async () => {
    await http.stop();
    const downAt = Date.now();
    for (let i = 0; i < 3; i++) assert.equal((await ssh(cfg, ['web1', `sudo -n true; echo ${i}`])).code, 0);
    assert.notEqual((await b.cli(['alerts', 'test', 'command-matched', '--wait', '1'], true)).code, 0, 'the test alert is not delivered while the receiver is down');
    // Retries while down: the log says so, nothing is lost.
    await new Promise((r) => setTimeout(r, 5000));
    assert.ok(b.log.includes('alert not delivered; tried again later'));
    await new Promise((r) => setTimeout(r, Math.max(0, 60_000 - (Date.now() - downAt))));
    await http.start(); // the same port
    const got = await http.until((g) => new Set(g.map((r) => r.headers['x-fumidai-alert'])).size >= 4, 30_000);
    await new Promise((r) => setTimeout(r, 6000)); // any duplicate would have come by now (maxBackoff 4 s)
    const ids = got.map((r) => r.headers['x-fumidai-alert']);
    assert.equal(ids.length, new Set(ids).size, `each alert once: ${ids.join(',')}`);
    const rules = got.map((r) => (JSON.parse(r.body) as { rule: string }).rule).sort();
    assert.deepEqual(rules, ['command-matched', 'sudo', 'sudo', 'sudo']);
    assert.ok(got.every((r) => r.signed));
    const delivered = await b.waitForEvents('AlertDelivered', 3);
    assert.ok(delivered.every((e) => (e.attempts as number) > 1), 'delivered after retries');
    const list = (await b.cli(['alerts', 'list'])).stdout;
    assert.doesNotMatch(list, /hook:pending/);
  });
});
