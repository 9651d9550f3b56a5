// A long bucket outage while sessions run (five minutes, as an operator's incident would last; FUMIDAI_OUTAGE_SECONDS
// shortens it for a local run): checkpoints wait in the spool, AnchorBacklog says so once past the threshold and
// `status` warns; when the bucket returns they arrive in order, none lost, the backlog event clears, and the trail
// verifies against the pinned key both here and from the bucket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Bastion, ssh } from './helpers/fumidai.js';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { LOGIN, startTarget, type Target } from './helpers/sshd.js';
import { readSegments } from '../src/audit/verify.js';

const OUTAGE_MS = Number(process.env.FUMIDAI_OUTAGE_SECONDS ?? 300) * 1000;
const BUCKET = 'fumidai-outage';

let web1: Target;
let bucket: Bucket;
before(async () => {
  web1 = await startTarget({ authorizedKeys: '' });
  bucket = await startBucket(BUCKET);
});
after(async () => {
  await web1?.stop();
  await bucket?.stop();
});

test(`bucket down for ${OUTAGE_MS / 1000} s while sessions run: checkpoints wait, then arrive in order; nothing lost; verify OK`, async () => {
  const b = new Bastion();
  try {
    await b.init({ ...bucket.shippingConfig(60), '  dir: audit\n': '  dir: audit\n  node: outage\n', 'anchorBacklogAlert: 30': 'anchorBacklogAlert: 5' });
    execFileSync('sh', ['-c', `cat >> ${web1.authorizedKeys}`], { input: await b.upstreamPublicKey() });
    await b.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(web1.port), '--login', LOGIN]);
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    const cfg = b.sshConfig('alice', key, { web1: LOGIN });
    const chainDir = join(b.data, 'audit', 'outage');
    const local = () => readSegments(chainDir).flatMap((s) => s.text.split('\n')).filter((l) => l.includes('"checkpoint":'));
    const anchored = async () => {
      const keys: string[] = [];
      for (let token: string | undefined, first = true; first || token; first = false) {
        const page = await bucket.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'fumidai/anchors/outage/', ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      }
      return keys.sort();
    };
    const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
      for (const deadline = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 250)))
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    };

    { const r = await ssh(cfg, ['web1', 'echo before']); assert.equal(r.stdout, 'before\n', r.stderr + b.log); }
    await until('the first checkpoints to be anchored', async () => local().length > 0 && (await anchored()).length === local().length, 10_000);
    const before = (await anchored()).length;

    await bucket.proxy.stop();
    const outageEnds = Date.now() + OUTAGE_MS;
    let sessions = 0;
    while (Date.now() < outageEnds) {
      assert.equal((await ssh(cfg, ['web1', `echo session ${sessions}`])).stdout, `session ${sessions}\n`, 'sessions run while the bucket is away');
      sessions++;
      await new Promise((r) => setTimeout(r, Math.min(5000, Math.max(0, outageEnds - Date.now()))));
    }
    const waiting = local().length - before;
    assert.ok(waiting > 5, `${waiting} checkpoints were signed during the outage`);
    const over = await b.waitForEvents('AnchorBacklog', 1, (e) => e.state === 'over');
    assert.equal(over.length, 1, 'one AnchorBacklog event on the way past the threshold, not one per round');
    const status = await b.cli(['status']);
    assert.match(status.stdout, /^warning: \d+ signed audit checkpoint\(s\) not yet anchored in the bucket \(more than audit.anchorBacklogAlert, 5\)/m);
    assert.equal((await anchored()).length, before, 'nothing reached the bucket while it was away');

    await bucket.proxy.start();
    await until('every checkpoint to be anchored', async () => (await anchored()).length === local().length, 60_000);
    const cleared = await b.waitForEvents('AnchorBacklog', 1, (e) => e.state === 'cleared', 30_000);
    assert.equal(cleared.length, 1, 'the backlog event clears once nothing waits');
    const puts = bucket.proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/anchors/outage/')).map((r) => r.url);
    assert.deepEqual(puts, [...puts].sort(), 'sent oldest first');
    const lines = await Promise.all((await anchored()).map(async (Key) => (await (await bucket.client.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToString()).trim()));
    assert.deepEqual(lines, local().slice(0, lines.length), 'the bucket holds the very checkpoint lines of the trail, none missing');

    b.process!.kill('SIGTERM');
    await new Promise((r) => b.process!.once('exit', r));
    await b.cli(['ship']);
    const pub = join(b.data, 'audit_ed25519_key.pub');
    for (const args of [['audit', 'verify', '--key', pub], ['audit', 'verify', '--from-bucket', '--key', pub]]) {
      const v = await b.cli(args, true);
      assert.equal(v.code, 0, `${args.join(' ')}: ${v.stdout}${v.stderr}`);
      assert.match(v.stdout, /anchors: the trail matches its \d+ checkpoints anchored/);
    }
    const ran = readSegments(chainDir).flatMap((s) => s.text.split('\n')).filter((l) => l.includes('"eventName":"SessionStart"')).length;
    assert.equal(ran, sessions + 1, 'every session of the outage is in the trail');
  } finally {
    await b.stop();
  }
});
