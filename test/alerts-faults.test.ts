// The bastion's own control failures become alerts: a shipping outage (the bucket does not answer, the backlog passes
// alerts.shippingBacklog) and a recording that fails on a full disk (a 256 kB tmpfs) each reach the webhook as a
// control-failures alert naming what failed; so does an audit trail that cannot be written (its own 256 kB tmpfs
// filled up: the alert goes through the spool in the store, on another disk).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
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
  const auditMount = mkdtempSync(join(tmpdir(), 'fumidai-audit-full-'));
  let mounted = false;
  let auditMounted = false;
  let bucket: Bucket;
  let web1: Target;
  let cfg = '';

  before(async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]); // the test needs root
    mounted = true;
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', auditMount]);
    auditMounted = true;
    await http.start();
    bucket = await startBucket('fumidai-alert-faults', { down: true });
    await b.init({ ...bucket.shippingConfig(0.5), 'dir: recordings': `dir: ${mount}`, 'minFreeMB: 64': 'minFreeMB: 0.1', 'dir: audit': `dir: ${auditMount}` });
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
    if (auditMounted) execFileSync('umount', [auditMount]);
    rmSync(auditMount, { recursive: true, force: true });
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

  test('an audit write that fails (its disk full) is an alert', async () => {
    assert.ok(!b.log.includes('"event":"AuditWriteFailed"') && !http.got.some((r) => r.body.includes('"name":"AuditWriteFailed"')));
    execFileSync('sh', ['-c', `dd if=/dev/zero of=${join(auditMount, 'filler')} bs=4096 2>/dev/null || true`]);
    // What is left in the last page of the segment file goes to the events of a few connections; then nothing fits.
    for (let i = 0; i < 200 && !b.log.includes('"event":"AuditWriteFailed"'); i++) await hello(b.port);
    assert.ok(b.log.includes('"event":"AuditWriteFailed"'), 'the trail never filled up');
    const a = await controlAlert('AuditWriteFailed');
    assert.equal(a.severity, 'critical');
    assert.match(a.event.reason ?? '', /ENOSPC/);
  });
});

/** A TCP connection that says its version and goes: a ConnectionOpened event, no login. */
function hello(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.end('SSH-2.0-alerts-test\r\n'));
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.resume();
  });
}
