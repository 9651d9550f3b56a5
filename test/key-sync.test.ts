// Users and keys from `public-keys/<user>.pub` objects in an S3-API server (s3rver): creation, key change, removal
// ending a live session, and bad names and bad keys skipped with events, never half-applied.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { Bastion, ssh } from './helpers/fumidai.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';

const BUCKET = 'fumidai-keys';

describe('users and keys from a bucket', () => {
  const b = new Bastion();
  let web1: Target;
  let bucket: Bucket;
  const put = (key: string, body: string) => bucket.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Buffer.from(body) }));
  const until = async (what: () => Promise<boolean>, label: string) => {
    for (let i = 0; i < 60; i++) {
      if (await what()) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`timed out waiting for ${label}`);
  };
  const users = async () => (await b.cli(['user', 'list'])).stdout;

  before(async () => {
    bucket = await startBucket(BUCKET);
    await b.init(bucket.keySyncConfig(0.5));
    web1 = await b.addTarget('web1');
    await b.start();
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await bucket?.stop();
  });

  test('an object creates a user, a changed object replaces the keys, a deleted one ends the user and her sessions', async () => {
    const k1 = await keygen(join(b.dir, 'alice1'));
    const k2 = await keygen(join(b.dir, 'alice2'));
    await put('public-keys/alice.pub', readFileSync(k1.pub, 'utf8'));
    await until(async () => (await users()).includes('alice'), 'alice to be created');
    await b.cli(['grant', 'alice', 'web1']);
    const cfg1 = b.sshConfig('alice', k1.priv, { web1: LOGIN });
    const cfg2 = b.sshConfig('alice', k2.priv, { web1: LOGIN });
    assert.equal((await ssh(cfg1, ['web1', 'echo in'])).stdout, 'in\n');
    assert.match(b.log, /^Creating user account for alice \(public-keys\/alice\.pub\)$/m);

    await put('public-keys/alice.pub', readFileSync(k2.pub, 'utf8'));
    // Polling with ssh would count as failed logins (and get this address banned): wait for the changelog line.
    await until(async () => /^Updating keys of alice \(public-keys\/alice\.pub\)$/m.test(b.log), 'the keys to be replaced');
    assert.equal((await ssh(cfg2, ['web1', 'echo new-key'])).stdout, 'new-key\n');
    assert.match((await ssh(cfg1, ['web1', 'true'])).stderr, /Permission denied/);

    const live = ssh(cfg2, ['web1', 'echo started; sleep 30'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await bucket.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'public-keys/alice.pub' }));
    const r = await live;
    assert.equal(r.stdout, 'started\n');
    assert.match(r.stderr, /session ended, access revoked: .*removed \(ACCESS_REVOKED\)/);
    assert.doesNotMatch(await users(), /alice/);
  });

  test('bad names and unparsable keys are skipped with events naming the object; a good key is not half-applied', async () => {
    const k = await keygen(join(b.dir, 'bob'));
    await put('public-keys/Bad_Name.pub', readFileSync(k.pub, 'utf8'));
    await put('public-keys/carol.pub', `${readFileSync(k.pub, 'utf8')}ssh-ed25519 AAAA-not-a-key carol@laptop\n`);
    await until(async () => b.events('KeySyncSkipped').length >= 2, 'skip events');
    const skipped = b.events('KeySyncSkipped');
    assert.ok(skipped.some((e) => e.object === 'public-keys/Bad_Name.pub' && /does not match/.test(String(e.reason))));
    assert.ok(skipped.some((e) => e.object === 'public-keys/carol.pub' && /public-keys\/carol\.pub line 2: not a usable SSH public key/.test(String(e.reason))));
    const list = await users();
    assert.doesNotMatch(list, /carol|Bad_Name/, 'carol was not created with only her first key');
    // Rounds run every 0.5 s here: the same bad objects are not reported again; a new version of one is.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(b.events('KeySyncSkipped').length, 2, 'each bad object version is reported once');
    await put('public-keys/carol.pub', 'ssh-ed25519 still-not-a-key carol@laptop\n');
    await until(async () => b.events('KeySyncSkipped').length === 3, 'the changed object to be reported');
  });
});
