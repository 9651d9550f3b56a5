// The front door, end to end: the stock OpenSSH client reaches real sshd targets through fumidai in all three ways.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('gateway', () => {
  const bastion = new Bastion();
  let web1: Target;
  let aliceKey: string;
  let cfg: string;

  before(async () => {
    await bastion.init();
    aliceKey = await bastion.addUser('alice');
    web1 = await bastion.addTarget('web1');
    await bastion.cli(['grant', 'alice', 'web1']);
    await bastion.start();
    cfg = bastion.sshConfig('alice', aliceKey, { web1: LOGIN });
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('exec returns the remote exit code in all three ways', async () => {
    const viaJump = await ssh(cfg, ['web1', 'echo jump; exit 42']);
    assert.equal(viaJump.code, 42, viaJump.stderr);
    assert.equal(viaJump.stdout, 'jump\n');
    const viaLogin = await ssh(cfg, ['-l', `${LOGIN}@web1`, 'bastion', 'echo login-at; exit 3']);
    assert.equal(viaLogin.code, 3, viaLogin.stderr);
    assert.equal(viaLogin.stdout, 'login-at\n');
    const viaTarget = await ssh(cfg, ['-l', 'web1', 'bastion', 'id -un']);
    assert.equal(viaTarget.code, 0, viaTarget.stderr);
    assert.equal(viaTarget.stdout, `${LOGIN}\n`);
    // `ssh alice@web1@bastion`: alice names herself; she may not log in as 'alice' there, so the default login is used.
    const viaOwnName = await ssh(cfg, ['alice@web1@bastion', 'id -un']);
    assert.equal(viaOwnName.code, 0, viaOwnName.stderr);
    assert.equal(viaOwnName.stdout, `${LOGIN}\n`);
    // Any other name before the target is the login, and the policy decides.
    const other = await ssh(cfg, ['root@web1@bastion', 'true']);
    assert.match(other.stderr, /fumidai: access denied: .*'root'.* \(ACCESS_DENIED\)/);
  });

  test('stdin, stdout and stderr are relayed separately, EOF included', async () => {
    const r = await ssh(cfg, ['web1', 'cat; echo to-stderr >&2'], { input: 'from-stdin\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'from-stdin\n');
    assert.match(r.stderr, /to-stderr/);
  });

  test('environment: allow-listed variables reach the target, others do not', async () => {
    const r = await ssh(cfg, ['-o', 'SendEnv=LANG FUMIDAI_SECRET', 'web1', 'echo "lang=$LANG secret=$FUMIDAI_SECRET"'], {
      env: { ...process.env, LANG: 'C.UTF-8', FUMIDAI_SECRET: 'leak' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'lang=C.UTF-8 secret=\n');
  });

  test('a signal that kills the remote command is reported as such', async () => {
    // OpenSSH exits 255 on exit-signal and says so only in its debug output.
    const r = await ssh(cfg, ['-v', 'web1', 'kill -TERM $$']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /rtype exit-signal/);
  });

  test('an interactive shell works in all three ways, with the recorded-session banner', async () => {
    const script = JSON.stringify([{ expect: '\\$ ' }, { send: 'echo READY-$((6*7))\r' }, { expect: 'READY-42' }, { send: 'exit 7\r' }]);
    for (const args of [['web1'], ['-l', `${LOGIN}@web1`, 'bastion']]) {
      const r = await run('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', ...args], { timeoutMs: 30_000 });
      assert.equal(r.code, 7, r.stdout + r.stderr);
      assert.match(r.stdout, /This session is recorded\. Audit key: \d{8}T\d{6}Z-alice-[0-9a-f]+/);
    }
    // No target: the menu lists what alice may reach, and choosing opens the shell there.
    const menu = JSON.stringify([{ expect: 'Number or name' }, { send: '1\r' }, { expect: '\\$ ' }, { send: 'echo MENU-$((2+3))\r' }, { expect: 'MENU-5' }, { send: 'exit\r' }]);
    const r = await run('python3', [PTY, '24', '80', menu, '--', 'ssh', '-F', cfg, '-tt', 'bastion'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1\) fumidaitest@web1/);
  });

  test('a window resize reaches the target', async () => {
    const script = JSON.stringify([
      { expect: '\\$ ' },
      { send: 'stty size\r' },
      { expect: '40 100' },
      { resize: [50, 132] },
      { send: 'sleep 0.3; stty size\r' },
      { expect: '50 132' },
      { send: 'exit\r' },
    ]);
    const r = await run('python3', [PTY, '40', '100', script, '--', 'ssh', '-F', cfg, '-tt', 'web1'], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('scp (SFTP and legacy protocol) up and down 50 MB, byte-identical', async () => {
    const src = join(bastion.dir, 'big.bin');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(src);
      for (let i = 0; i < 50; i++) out.write(randomBytes(1024 * 1024));
      out.end();
      out.on('finish', resolve).on('error', reject);
    });
    const remote = `/tmp/fumidai-scp-${process.pid}`;
    for (const legacy of [false, true]) {
      const flags = ['-F', cfg, '-q', ...(legacy ? ['-O'] : [])];
      const up = await run('scp', [...flags, src, `web1:${remote}`], { timeoutMs: 120_000 });
      assert.equal(up.code, 0, up.stderr);
      assert.equal(sha256(remote), sha256(src));
      const back = join(bastion.dir, `back-${legacy}.bin`);
      const down = await run('scp', [...flags, `web1:${remote}`, back], { timeoutMs: 120_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.equal(sha256(back), sha256(src));
      await run('rm', ['-f', remote]);
    }
  });

  test('rsync over ssh -J: a tree up and back, identical; the rsync server command is recorded', async () => {
    const tree = join(bastion.dir, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.bin'), randomBytes(2_000_000));
    writeFileSync(join(tree, 'sub', 'b.txt'), 'hello rsync\n');
    const remote = `/tmp/fumidai-rsync-${process.pid}`;
    const rsh = `ssh -F ${cfg}`;
    try {
      const up = await run('rsync', ['-a', '-e', rsh, `${tree}/`, `web1:${remote}/`], { timeoutMs: 60_000 });
      assert.equal(up.code, 0, up.stderr);
      const back = join(bastion.dir, 'tree-back');
      const down = await run('rsync', ['-a', '-e', rsh, `web1:${remote}/`, `${back}/`], { timeoutMs: 60_000 });
      assert.equal(down.code, 0, down.stderr);
      assert.equal(sha256(join(back, 'a.bin')), sha256(join(tree, 'a.bin')));
      assert.equal(readFileSync(join(back, 'sub', 'b.txt'), 'utf8'), 'hello rsync\n');
      const opened = await bastion.waitForEvents('ChannelOpen', 2, (e) => typeof e.command === 'string' && e.command.startsWith('rsync --server'));
      assert.equal(opened.length, 2, 'both rsync runs are exec channels with their command in the trail');
    } finally {
      await run('rm', ['-rf', remote]);
    }
  });

  test('sftp batch: put, get, ls, rename, rm', async () => {
    const src = join(bastion.dir, 'small.txt');
    writeFileSync(src, randomBytes(300_000));
    const dir = `/tmp/fumidai-sftp-${process.pid}`;
    await run('mkdir', ['-p', dir]);
    await run('chown', [LOGIN, dir]);
    const back = join(bastion.dir, 'small-back.txt');
    const batch = join(bastion.dir, 'batch');
    writeFileSync(batch, [`put ${src} ${dir}/a.txt`, `rename ${dir}/a.txt ${dir}/b.txt`, `ls ${dir}`, `get ${dir}/b.txt ${back}`, `rm ${dir}/b.txt`, `ls ${dir}`].join('\n') + '\n');
    const r = await run('sftp', ['-F', cfg, '-b', batch, 'web1'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(sha256(back), sha256(src));
    assert.match(r.stdout, /b\.txt/);
    const left = await run('ls', [dir]);
    assert.equal(left.stdout, '');
    await run('rm', ['-rf', dir]);
  });

  test('CLI changes take effect on the running server without a restart', async () => {
    const bobKey = await bastion.addUser('bob');
    const bobCfg = bastion.sshConfig('bob', bobKey, { web1: LOGIN });
    const denied = await ssh(bobCfg, ['web1', 'true']);
    assert.equal(denied.code, 255);
    assert.match(denied.stderr, /user 'bob' has no access to 'web1' \(ACCESS_DENIED\)/);
    await bastion.cli(['grant', 'bob', 'web1']);
    assert.equal((await ssh(bobCfg, ['web1', 'exit 5'])).code, 5);
    await bastion.cli(['revoke', 'bob', 'web1']);
    assert.match((await ssh(bobCfg, ['web1', 'true'])).stderr, /ACCESS_DENIED/);
    await bastion.cli(['user', 'remove', 'bob']);
    assert.match((await ssh(bobCfg, ['-l', 'web1', 'bastion', 'true'])).stderr, /Permission denied \(publickey\)/);
  });

  test('sessions are indexed with user, source, target, login and exit status', async () => {
    const list = (await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const exit42 = list.find((s) => s.exitStatus === 42);
    assert.ok(exit42, JSON.stringify(list));
    assert.equal(exit42.user, 'alice');
    assert.equal(exit42.target, 'web1');
    assert.equal(exit42.login, LOGIN);
    assert.equal(exit42.sourceIp, '127.0.0.1');
    assert.equal(exit42.state, 'closed');
  });

  test('the target host key is pinned on first use and shown in target list', async () => {
    const list = await bastion.cli(['target', 'list']);
    assert.match(list.stdout, /web1 +127\.0\.0\.1:\d+ +fumidaitest +SHA256:[A-Za-z0-9+/]{43}/);
  });
});
