// Independent SSH implementations through fumidai, each with its own default algorithms and fumidai's default config:
// OpenSSH (ssh, sftp), PuTTY (plink, psftp), libssh2 through curl (sftp://, scp://), paramiko and asyncssh. Each runs
// a command whose exit status must come back and makes an sftp (or scp) round trip compared by sha256. The target is
// named in the user name (`web1`), which every client can send. The cipher each one got is read from its AuthSuccess.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run, type RunResult } from './helpers/proc.js';
import type { Target } from './helpers/sshd.js';

type Algorithms = { kex: string; hostKey: string; cipher: string; mac?: string };

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const PY = join(ROOT, 'test/helpers/py_clients.py');
const SYSTEM_PYTHON = '/usr/bin/python3'; // Debian's, with python3-paramiko and python3-asyncssh

describe('clients', () => {
  const b = new Bastion();
  let web1: Target;
  let key: string;
  let cfg: string;
  let upload: string;
  let fingerprints: string[]; // SHA256:… of each host key, as PuTTY takes them
  const seen: Record<string, Algorithms> = {};

  before(async () => {
    await b.init(); // the default config, as `fumidai init` writes it
    key = await b.addUser('alice');
    web1 = await b.addTarget('web1');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    cfg = b.sshConfig('alice', key);
    upload = join(b.dir, 'upload.bin');
    writeFileSync(upload, randomBytes(3 * 1024 * 1024 + 17));
    fingerprints = [];
    for (const file of ['host_ed25519_key.pub', 'host_ecdsa_key.pub']) {
      const r = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(b.data, file)]);
      fingerprints.push(r.stdout.split(' ')[1]!);
    }
  });
  after(async () => {
    // eslint-disable-next-line no-console
    console.log(`negotiated ciphers: ${JSON.stringify(seen)}`);
    await b.stop();
    await web1?.stop();
  });

  /** What the newest login negotiated (AuthSuccess is durable before the client is in, so it is there by now). */
  const lastLogin = (): Algorithms => {
    const root = join(b.data, 'audit');
    const events = readdirSync(root)
      .filter((d) => !d.endsWith('-admin'))
      .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.jsonl')).map((f) => readFileSync(join(root, d, f), 'utf8')))
      .flatMap((text) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { eventName?: string; seq: number; details?: { algorithms?: Algorithms } }))
      .filter((e) => e.eventName === 'AuthSuccess')
      .sort((x, y) => x.seq - y.seq);
    const algorithms = events.at(-1)?.details?.algorithms;
    assert.ok(algorithms, 'AuthSuccess records the algorithms');
    return algorithms;
  };
  const ok = (r: RunResult, what: string) => assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  const roundTrip = (name: string) => ({ remote: `up-${name}.bin`, down: join(b.dir, `down-${name}.bin`) });

  test('OpenSSH ssh and sftp: exit status, sftp round trip, and AES-GCM chosen over its first choice chacha20', async () => {
    const r = await ssh(cfg, ['-l', 'web1', 'bastion', 'exit 7']);
    assert.equal(r.code, 7, r.stderr);
    seen.openssh = lastLogin();
    assert.equal(seen.openssh.cipher, 'aes128-gcm@openssh.com');
    const { remote, down } = roundTrip('openssh');
    const s = await run('sftp', ['-F', cfg, '-b', '-', 'web1@bastion'], { input: `put ${upload} ${remote}\nget ${remote} ${down}\n` });
    ok(s, 'sftp');
    assert.equal(sha256(down), sha256(upload));
    // A client that accepts chacha20 alone still gets in.
    const pinned = await ssh(cfg, ['-o', 'Ciphers=chacha20-poly1305@openssh.com', '-l', 'web1', 'bastion', 'exit 3']);
    assert.equal(pinned.code, 3, pinned.stderr);
    assert.equal(lastLogin().cipher, 'chacha20-poly1305@openssh.com');
  });

  test('paramiko (Debian python3-paramiko): exit status and sftp round trip', async () => {
    const { remote, down } = roundTrip('paramiko');
    const r = await run(SYSTEM_PYTHON, [PY, 'paramiko', '127.0.0.1', String(b.port), 'web1', key, 'exit 7', upload, remote, down]);
    ok(r, 'paramiko');
    const out = JSON.parse(r.stdout) as { exit: number; cipher: string };
    assert.equal(out.exit, 7);
    assert.equal(sha256(down), sha256(upload));
    seen.paramiko = lastLogin();
    assert.equal(seen.paramiko.cipher, out.cipher);
    assert.equal(out.cipher, 'aes128-ctr'); // paramiko 2.12 has neither AES-GCM nor chacha20
  });

  test('asyncssh (Debian python3-asyncssh): exit status and sftp round trip', async () => {
    const { remote, down } = roundTrip('asyncssh');
    const r = await run(SYSTEM_PYTHON, [PY, 'asyncssh', '127.0.0.1', String(b.port), 'web1', key, 'exit 7', upload, remote, down]);
    ok(r, 'asyncssh');
    const out = JSON.parse(r.stdout) as { exit: number; cipher: string };
    assert.equal(out.exit, 7);
    assert.equal(sha256(down), sha256(upload));
    seen.asyncssh = lastLogin();
    assert.equal(seen.asyncssh.cipher, out.cipher);
    assert.equal(out.cipher, 'aes128-gcm@openssh.com'); // its own first choice is chacha20
  });

  test('libssh2 through curl: sftp:// and scp:// round trips, verifying the ECDSA host key it prefers', async () => {
    const pin = fingerprints[1]!.replace(/^SHA256:/, '');
    const common = ['-sS', '--key', key, '--pubkey', `${key}.pub`, '-u', 'web1:', '--connect-timeout', '20', '--hostpubsha256', pin];
    for (const scheme of ['sftp', 'scp']) {
      const { remote, down } = roundTrip(`curl-${scheme}`);
      const url = `${scheme}://127.0.0.1:${b.port}/~/${remote}`;
      ok(await run('curl', [...common, '-T', upload, url]), `curl upload ${scheme}`);
      ok(await run('curl', [...common, '-o', down, url]), `curl download ${scheme}`);
      assert.equal(sha256(down), sha256(upload), scheme);
    }
    seen.libssh2 = lastLogin();
    assert.equal(seen.libssh2.cipher, 'aes128-ctr'); // libssh2 1.10 has neither AES-GCM nor chacha20
    assert.match(seen.libssh2.mac ?? '', /^hmac-sha2-/);
    assert.equal(seen.libssh2.hostKey, 'ecdsa-sha2-nistp256');
  });

  test('PuTTY plink and psftp: exit status and sftp round trip, the host key pinned by fingerprint', async () => {
    const ppk = join(b.dir, 'alice.ppk');
    ok(await run('puttygen', [key, '-O', 'private', '-o', ppk]), 'puttygen');
    const common = ['-batch', '-P', String(b.port), '-l', 'web1', '-i', ppk, ...fingerprints.flatMap((f) => ['-hostkey', f])];
    const r = await run('plink', ['-ssh', ...common, '127.0.0.1', 'exit 7']);
    assert.equal(r.code, 7, r.stderr);
    seen.putty = lastLogin();
    assert.equal(seen.putty.cipher, 'aes128-gcm@openssh.com');
    const { remote, down } = roundTrip('putty');
    const script = join(b.dir, 'psftp.txt');
    writeFileSync(script, `put ${upload} ${remote}\nget ${remote} ${down}\n`);
    ok(await run('psftp', [...common, '-b', script, '127.0.0.1']), 'psftp');
    assert.equal(sha256(down), sha256(upload));
  });
});
