// The bastion's own control failures become alerts: a shipping outage (the bucket does not answer, the backlog passes
// alerts.shippingBacklog) and a recording that fails on a full disk (a 256 kB tmpfs) each reach the webhook as a
// control-failures alert naming what failed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { alertsYaml, HttpReceiver } from './helpers/alert-receivers.js';

const SECRET = 'faults-secret';

describe('control failures as alerts', () => {
  const b = new Bastion();
  const http = new HttpReceiver(SECRET);
  const mount = mkdtempSync(join(tmpdir(), 'fumidai-full-'));
  let mounted = false;
  let bucket: Bucket;
  let web1: Target;
  let cfg = '';

  before(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]); // the test needs root
    mounted = true;
    await http.start();
    bucket = await startBucket('fumidai-alert-faults', { down: true });
    await b.init({ ...bucket.shippingConfig(0.5), 'dir: recordings': `dir: ${mount}`, 'minFreeMB: 64': 'minFreeMB: 0.1' });
    appendFileSync(join(b.data, 'fumidai.yaml'), alertsYaml({ http: http.port, extra: '  shippingBacklog: 1' }).replace(/\n {4}- \{ name: slack.*\n/, '\n'));
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
    await bucket?.stop();
    await http.stop();
    if (mounted) execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true, force: true });
  });

  const controlAlert = async (name: string) => {
    const got = await http.until((g) => g.some((r) => r.body.includes('"rule":"control-failures"') && r.body.includes(`"name":"${name}"`)), 30_000);
    return JSON.parse(got.find((r) => r.body.includes(`"name":"${name}"`))!.body) as { rule: string; severity: string; summary: string; event: { name: string; reason?: string } };
  };

  test('a shipping outage: the backlog past the threshold is an alert', async () => {
    assert.equal((await ssh(cfg, ['web1', 'echo hello'])).code, 0);
    const a = await controlAlert('ShippingBacklog');
    assert.equal(a.severity, 'critical');
    assert.match(a.summary, /^ShippingBacklog: /);
  });

  test('a recording failure (full disk) is an alert', async () => {
    const big = await ssh(cfg, ['web1', 'head -c 3000000 /dev/urandom | base64; echo not-reached'], { timeoutMs: 60_000 });
    assert.match(big.stderr, /RECORDING_FAILED/);
    const a = await controlAlert('RecordingFailed');
    assert.equal(a.severity, 'critical');
    assert.match(a.event.reason ?? '', /ENOSPC/);
  });
});
