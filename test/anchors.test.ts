// The audit trail anchored outside the host: each signed checkpoint reaches the bucket as an object of its own within
// about a second; with the bucket away they wait and arrive in order; a tail cut while the server was down is found
// by the next start (AuditTampered) and by `audit verify`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Bastion, BIN, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { LOGIN, startTarget, type Target } from './helpers/sshd.js';
import { compareWithAnchors } from '../src/audit/anchored.js';
import { readSegments } from '../src/audit/verify.js';
import { editLines, rechain } from './helpers/trail-edit.js';

const BUCKET = 'fumidai-anchors';

describe('anchored checkpoints', () => {
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

  const setUp = async (node: string) => {
    const b = new Bastion();
    await b.init({ ...bucket.shippingConfig(60), '  dir: audit\n': `  dir: audit\n  node: ${node}\n` });
    execFileSync('sh', ['-c', `cat >> ${web1.authorizedKeys}`], { input: await b.upstreamPublicKey() });
    await b.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(web1.port), '--login', LOGIN]);
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    const chain = readdirSync(join(b.data, 'audit')).find((c) => !c.endsWith('-admin'))!;
    return { b, cfg: b.sshConfig('alice', key, { web1: LOGIN }), chain, chainDir: join(b.data, 'audit', chain) };
  };

  /** The anchored checkpoint lines of a chain, as the bucket holds them. */
  const anchored = async (chain: string): Promise<string[]> => {
    const list = await bucket.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `fumidai/anchors/${chain}/` }));
    const keys = (list.Contents ?? []).map((o) => o.Key!).sort();
    return Promise.all(keys.map(async (Key) => (await (await bucket.client.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body!.transformToString()).trim()));
  };
  const localCheckpoints = (dir: string) => readSegments(dir).flatMap((s) => s.text.split('\n')).filter((l) => l.includes('"checkpoint":'));
  const until = async (what: string, ok: () => Promise<boolean>, ms = 10_000) => {
    for (const deadline = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 100)))
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  };

  test('each checkpoint is in the bucket within about a second; a tail cut after a kill -9 is found at the next start', async () => {
    const { b, cfg, chain, chainDir } = await setUp('cut');
    try {
      for (const word of ['one', 'two']) assert.equal((await ssh(cfg, ['web1', `echo ${word}`])).stdout, `${word}\n`);
      const ended = Date.now();
      // Both sessions' last events (SessionEnd comes just after the client exits) are in, then their checkpoint.
      const ends = () => readSegments(chainDir).reduce((n, seg) => n + seg.text.split('"eventName":"SessionEnd"').length - 1, 0);
      await until('the head to be anchored', async () => {
        if (ends() < 2) return false;
        const local = localCheckpoints(chainDir);
        return local.length > 0 && (await anchored(chain)).length === local.length && readFileSync(join(chainDir, readSegments(chainDir).at(-1)!.name), 'utf8').trimEnd().endsWith('}}');
      });
      const took = Date.now() - ended;
      assert.ok(took < 4000, `the last events were anchored ${took} ms after the session ended`);
      assert.deepEqual(await anchored(chain), localCheckpoints(chainDir), 'the bucket holds the very lines of the trail');
      b.process!.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      // The insider: `head -n -12` on today's segment, then a restart.
      const segment = join(chainDir, readSegments(chainDir).at(-1)!.name);
      const lines = readFileSync(segment, 'utf8').split('\n').filter(Boolean);
      writeFileSync(segment, lines.slice(0, -12).join('\n') + '\n');
      await b.start();
      const tampered = await b.waitForEvents('AuditTampered', 1, () => true, 10_000);
      assert.equal(tampered.length, 1, b.log);
      assert.match(String(tampered[0]!.reason), new RegExp(`^${chain}: the local trail ends at seq ${lines.length - 12}, behind the newest anchored checkpoint`));
      const inTrail = () => readSegments(chainDir).flatMap((s) => s.text.split('\n')).filter((l) => l.includes('"eventName":"AuditTampered"'));
      await until('AuditTampered in the trail itself', async () => inTrail().length === 1);
      // The chain went on from the cut tail: its new lines take the numbers the bucket holds other lines under.
      const verify = await b.cli(['audit', 'verify', '--no-recordings'], true);
      assert.equal(verify.code, 3, verify.stdout + verify.stderr);
      assert.match(verify.stderr, new RegExp(`fumidai: audit trail tampered: ${chain}: the (local trail ends at seq \\d+, behind|anchored checkpoint at seq \\d+ .* does not match)`));
    } finally {
      await b.stop();
    }
  });

  test('with the bucket away, checkpoints wait in the spool and arrive in order when it returns; nothing is lost', async () => {
    const { b, cfg, chain, chainDir } = await setUp('away');
    try {
      assert.equal((await ssh(cfg, ['web1', 'echo two'])).stdout, 'two\n');
      await until('the first anchors', async () => (await anchored(chain)).length > 0 && (await anchored(chain)).length === localCheckpoints(chainDir).length);
      await bucket.proxy.stop();
      for (const word of ['three', 'four', 'five']) {
        assert.equal((await ssh(cfg, ['web1', `echo ${word}`])).stdout, `${word}\n`);
        await new Promise((r) => setTimeout(r, 1200)); // a checkpoint each
      }
      const waiting = localCheckpoints(chainDir).length - (await anchored(chain)).length;
      assert.ok(waiting >= 3, `${waiting} checkpoints wait for the bucket`);
      await bucket.proxy.start();
      await until('the waiting checkpoints to arrive', async () => (await anchored(chain)).length === localCheckpoints(chainDir).length, 15_000);
      const puts = bucket.proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('/anchors/away/')).map((r) => r.url);
      assert.deepEqual(puts, [...puts].sort(), 'sent oldest first');
      assert.deepEqual(compareWithAnchors(chain, readSegments(chainDir), await anchored(chain)), []);
    } finally {
      await b.stop();
    }
  });

  test('audit verify against the anchors: cut, rewritten and re-signed, a recording edited and re-sealed, a chain removed: exit 3', async () => {
    const { b, cfg, chain } = await setUp('verify');
    try {
      for (const word of ['one', 'two', 'three']) assert.equal((await ssh(cfg, ['web1', `echo ${word}`])).stdout, `${word}\n`);
      await new Promise((r) => setTimeout(r, 1500));
      b.process!.kill('SIGTERM'); // a clean stop: the final checkpoint goes up too
      await new Promise((r) => b.process!.once('exit', r));
      const clean = await b.cli(['audit', 'verify'], true);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stdout, /^anchors: the trail matches its \d+ checkpoints anchored in s3:\/\//m);
      const key = createPrivateKey(readFileSync(join(b.data, 'audit_ed25519_key')));
      const segmentOf = (data: string) => join(data, 'audit', chain, readSegments(join(data, 'audit', chain)).at(-1)!.name);
      const scenarios: [string, (data: string) => void, RegExp][] = [
        ['the last events deleted', (d) => editLines(segmentOf(d), (l) => l.slice(0, -6)), /behind the newest anchored checkpoint/],
        ['a user renamed, hashes and checkpoints recomputed with the key', (d) => { editLines(segmentOf(d), (l) => l.map((x) => x.replaceAll('"user":"alice"', '"user":"bob"'))); rechain(join(d, 'audit', chain), key); }, /does not match the local line/],
        ['a recording edited, its sha256 updated, everything re-signed', (d) => { editLines(segmentOf(d), (l) => l.map((x) => x.replace(/"sha256":"[0-9a-f]{64}"/, `"sha256":"${'0'.repeat(64)}"`))); rechain(join(d, 'audit', chain), key); }, /does not match the local line/],
        ['the whole chain removed', (d) => rmSync(join(d, 'audit', chain), { recursive: true }), /the whole chain is missing here/],
        ['the grant removed from the admin chain, which was re-signed', (d) => {
          const admin = join(d, 'audit', `${chain}-admin`);
          editLines(join(admin, readSegments(admin).at(-1)!.name), (l) => l.filter((x) => !x.includes('"reason":"grant alice')));
          rechain(admin, key);
        }, new RegExp(`${chain}-admin: the anchored checkpoint at seq \\d+ .* does not match the local line`)],
        ['the admin chain removed', (d) => rmSync(join(d, 'audit', `${chain}-admin`), { recursive: true }), new RegExp(`${chain}-admin: the whole chain is missing here`)],
      ];
      for (const [what, edit, expected] of scenarios) {
        const copy = join(b.dir, `copy-${scenarios.findIndex((s) => s[0] === what)}`);
        cpSync(b.data, copy, { recursive: true });
        edit(copy);
        const r = await run(process.execPath, [BIN, 'audit', 'verify', '--data', copy, '--no-recordings']);
        assert.equal(r.code, 3, `${what}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, expected, what);
      }
    } finally {
      await b.stop();
    }
  });
});
