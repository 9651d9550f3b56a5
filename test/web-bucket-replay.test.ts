// The console replays a recording that is no longer on this node (pruned after shipping, or made on another node):
// it is fetched from the bucket (s3rver over HTTP), checked against the sha256 the index sealed, and served; a copy
// in the bucket that was changed is refused with its one line, and never shown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { startBucket, type Bucket } from './helpers/bucket.js';
import { Bastion, ROOT } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { type Answer, consoleBase, fetchPinned, readTrail } from './helpers/web-console.js';

const BUCKET = 'fumidai-web-replay';
const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('web console: recordings from the bucket', () => {
  const b = new Bastion();
  let web1: Target;
  let bucket: Bucket;
  let base = '';
  let ca: Buffer;
  let cookie = '';
  let castKey = '';
  let original: Buffer;
  let recordingUrl = '';
  const get = (path: string): Promise<Answer> => fetchPinned(base, ca, path, { cookie });
  const cookiesOf = (a: Answer) => ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!);

  before(async () => {
    bucket = await startBucket(BUCKET);
    await b.init(bucket.shippingConfig(600)); // shipped from the CLI below
    b.webListen = '127.0.0.1:0';
    web1 = await b.addTarget('web1');
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    const cfg = b.sshConfig('alice', key, { web1: LOGIN });
    const script = JSON.stringify([{ expect: '\\$ ' }, { send: 'echo bucket-$((40+2))-marker\r' }, { expect: 'bucket-42-marker' }, { send: 'exit\r' }]);
    assert.equal((await run('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', 'web1'], { timeoutMs: 30_000 })).code, 0);
    const auditKey = /(\d{8}T\d{6}Z-alice-[0-9a-f]+)/.exec(b.log)![1]!;
    // Sealed and shipped (the seal comes moments after the client left); then the local copy goes, as retention would.
    const shipped = async () => {
      assert.match((await b.cli(['ship', '--now'])).stdout, /backlog 0/);
      const objects = ((await bucket.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key!);
      return objects.find((k) => k.includes(auditKey) && k.endsWith('.cast'));
    };
    for (let i = 0; i < 20 && !castKey; i++) castKey = (await shipped()) ?? (await new Promise((r) => setTimeout(r, 500)), '');
    assert.ok(castKey, 'the recording was shipped');
    const local = join(b.data, 'recordings', castKey.slice(castKey.indexOf('recordings/') + 'recordings/'.length));
    original = readFileSync(local);
    rmSync(join(b.data, 'recordings'), { recursive: true });
    recordingUrl = `/sessions/${auditKey}/recordings/1`;

    base = await consoleBase(b);
    ca = readFileSync(join(b.data, 'web.crt'));
    const pwFile = join(b.dir, 'password');
    writeFileSync(pwFile, 'an auditor password, long enough\n');
    await b.cli(['web', 'user', 'add', 'ann', '--role', 'auditor', '--password-file', pwFile]);
    const form = await fetchPinned(base, ca, '/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const login = await fetchPinned(base, ca, '/login', { method: 'POST', cookie: cookiesOf(form).join('; '), form: { name: 'ann', password: 'an auditor password, long enough', _csrf: csrf } });
    assert.equal(login.status, 303, login.body);
    cookie = [...cookiesOf(form), ...cookiesOf(login)].join('; ');
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await bucket?.stop();
  });

  test('a recording pruned here is fetched from the bucket, checked, and replayed; a viewing is still an event', async () => {
    const whole = await get(recordingUrl);
    assert.equal(whole.status, 200, whole.body);
    assert.equal(whole.body, original.toString('utf8'), 'the bytes that were recorded');
    const index = await get(`${recordingUrl}/replay`);
    assert.equal(index.status, 200, index.body);
    const segment = await get(`${recordingUrl}/segments/0?idle=1`);
    assert.equal(segment.status, 200, segment.body);
    assert.match(segment.body, /bucket-42-marker/);
    assert.match(readTrail(b.data), /"RecordingViewed".*"view":"recording"/);
  });

  test("a bucket copy that does not match its seal is refused with one line, and the cached copy is not what is served", async () => {
    rmSync(join(b.data, 'cache'), { recursive: true, force: true });
    const changed = Buffer.from(original.toString('utf8').replace('bucket-42-marker', 'bucket-43-marker'));
    await bucket.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: castKey, Body: changed }));
    const a = await get(recordingUrl);
    assert.equal(a.status, 409);
    assert.match(a.body, /^fumidai: recording does not match its sealed sha256 .*\(RECORDING_TAMPERED\)$/);
    assert.doesNotMatch(a.body, /bucket-43-marker/);
    assert.equal((await get(`${recordingUrl}/replay`)).status, 409);
  });
});
