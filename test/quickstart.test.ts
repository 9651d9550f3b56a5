// The README's Quick start, run as it is written: the two shell blocks marked `quickstart:` are read from README.md and
// each line is run by bash as a newcomer would run it: a fresh account (`fumidaiqs`, whose home is a new directory
// with an ed25519 key and nothing else; ssh reads ~ from the account, not from $HOME), in a fresh directory holding
// this checkout's package (so `npm start` and `./bin/fumidai.js` work there and ./fumidai-data is created there). `npm ci`
// is the one line not run again: it is what built this checkout. The machine's own sshd on port 22 is played by a
// private sshd that reads the account's ~/.ssh/authorized_keys, which the Quick start appends to.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { keygen, startTarget, type Target } from './helpers/sshd.js';
import { tempDir } from './helpers/temp-dir.js';

/** The lines of the shell block after `<!-- quickstart: NAME`, comments and blank lines left out. */
function quickstartBlock(readme: string, name: string): string[] {
  const at = readme.indexOf(`<!-- quickstart: ${name}`);
  assert.ok(at >= 0, `README has a block marked quickstart: ${name}`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at))![1]!;
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));
}

const portInUse = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const work = tempDir('fumidai-quickstart-');
const home = join(work, 'home');
const checkout = join(work, 'checkout');
const user = 'fumidaiqs';
/** The command line `line`, run by bash as the newcomer's account, in its login environment. */
const asUser = (line: string) => ['runuser', ['-u', user, '--', 'env', '-i', `HOME=${home}`, `USER=${user}`, `PATH=${process.env.PATH}`, 'bash', '-c', line]] as const;
let sshd: Target | undefined;
let server: ChildProcess | undefined;
let skip: string | false = false;

before(async () => {
  // Port 22 is the machine's own sshd in the Quick start; where one already listens, this test cannot stand in for it.
  if (process.getuid?.() !== 0) skip = 'needs root, to make the newcomer\'s account';
  else if (await portInUse(22)) skip = 'something already listens on 127.0.0.1:22';
  else if (await portInUse(2222)) skip = 'something already listens on 127.0.0.1:2222';
  else if (await portInUse(8443)) skip = 'something already listens on 127.0.0.1:8443 (the web console)';
  if (skip) return;
  chmodSync(work, 0o755);
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
    execFileSync('usermod', ['-d', home, user]);
  } catch {
    execFileSync('useradd', ['-M', '-d', home, '-s', '/bin/bash', user]);
  }
  execFileSync('usermod', ['-p', '*', user]);
  await keygen(join(home, '.ssh', 'id_ed25519'));
  writeFileSync(join(home, '.ssh', 'authorized_keys'), '', { mode: 0o600 });
  mkdirSync(checkout);
  for (const f of ['package.json', 'bin', 'dist', 'node_modules']) symlinkSync(join(ROOT, f), join(checkout, f));
  execFileSync('chown', ['-R', `${user}:`, home, checkout]);
  execFileSync('chown', ['-h', `${user}:`, ...['package.json', 'bin', 'dist', 'node_modules'].map((f) => join(checkout, f))]);
  sshd = await startTarget({ authorizedKeys: '', login: user, port: 22, authorizedKeysFile: join(home, '.ssh', 'authorized_keys') });
});
after(async () => {
  if (server?.pid) process.kill(-server.pid, 'SIGKILL'); // npm start's whole process group, if the test failed
  await sshd?.stop();
});

test('the Quick start runs as written on one machine, from npm start to a recorded session', async (t) => {
  if (skip) return t.skip(skip);
  const first = quickstartBlock(readme, 'terminal 1');
  assert.deepEqual(first, ['npm ci', 'npm start']);
  const [cmd, args] = asUser(first[1]!);
  server = spawn(cmd, args, { cwd: checkout, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  server.stdout!.on('data', (d) => (log += d));
  server.stderr!.on('data', (d) => (log += d));
  for (const deadline = Date.now() + 30_000; !/listening on 127\.0\.0\.1:2222/.test(log); await new Promise((r) => setTimeout(r, 100)))
    if (Date.now() > deadline) assert.fail(`npm start did not listen: ${log}`);
  assert.match(log, /host key: SHA256:\S+ \(ssh-ed25519\)/, 'the server names its host key for the trust step');

  const outputs: string[] = [];
  for (const line of quickstartBlock(readme, 'terminal 2')) {
    const [c, a] = asUser(line);
    const r = await run(c, [...a], { cwd: checkout, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `${line}\n${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Are you sure you want to continue connecting|Permanently added/, `${line}: ssh asked to trust a key`);
    outputs.push(r.stdout);
  }
  const fingerprint = /SHA256:\S+/.exec(outputs.find((o) => /SHA256:/.test(o) && /ED25519/.test(o)) ?? '')?.[0];
  assert.ok(fingerprint && log.includes(`host key: ${fingerprint}`), 'ssh-keygen -lf shows the fingerprint the server printed');
  assert.ok(outputs.includes('hello through fumidai\n'), outputs.join('---'));
  assert.match(outputs.at(-1)!, new RegExp(`\\b${user}\\b.*\\bweb1\\b.*\\bexec: echo hello through fumidai`));
  process.kill(-server.pid!, 'SIGTERM'); // npm start's whole process group
  await new Promise((r) => server!.once('exit', r));
  server = undefined;
});
