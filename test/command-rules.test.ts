// Command, file and tunnel rules with real ssh, sftp and scp clients and real sshd targets: a denied command is refused
// before it runs (its marker file never appears), an allow-list lets only its commands run (legacy scp included, with
// a hint), an alert lets the command run and writes CommandMatched; a denied download fails over sftp and both scp
// protocols and a bulk one alerts with its size; -L/-W/-R to refused places never reach them; a reloaded policy
// applies to the next channel.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { freePort, run, stopChild, waitForPort } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const policy = (extra = '') => `
groups: { ops: [alice] }
targets:
  web1: { env: staging }
  db1: { env: prod }
rules:
  - { name: ops, effect: allow, groups: [ops], actions: [shell, exec, sftp, local-forward, remote-forward] }
commands:
  - { name: prod-allow, on: exec, targets: [env=prod], logins: [${LOGIN}], match: { program: [uptime] }, action: allow }
  - { name: watch-echo, on: exec, match: { glob: 'echo *' }, action: alert, reason: echo is watched }
${extra}files:
  - { name: no-secrets-out, paths: ['*/secret*'], direction: download, action: deny, reason: secrets stay on the host }
  - { name: bulk-read, minSize: 1000000, direction: download, action: alert, reason: a bulk download }
tunnels:
  - { name: no-db-tunnels, destinations: ['*:${db.port}'], kind: local-forward, targets: [env=staging], action: deny, reason: use the db proxy }
  - { name: no-listeners, kind: remote-forward, targets: [env=prod], action: deny, reason: nothing listens on prod }
`;
/** A service behind the targets that counts who reached it. */
const db = { port: 0, connections: 0, server: createServer((s) => {
  db.connections++;
  s.on('error', () => undefined);
  s.end('db-hello');
}) };
const NO_RM = `  - { name: no-rm, on: exec, groups: [ops], match: { program: [rm] }, action: deny, reason: nothing is removed by hand here }\n`;

describe('command rules over exec', () => {
  const b = new Bastion();
  const targets: Target[] = [];
  let cfg = '';
  const marker = `/tmp/fumidai-cmd-marker-${process.pid}`;
  const matched = (rule: string, n = 1) => b.waitForEvents('CommandMatched', n, (e) => e.rule === rule);

  before(async () => {
    await new Promise<void>((resolve) => db.server.listen(0, '127.0.0.1', resolve));
    db.port = (db.server.address() as AddressInfo).port;
    await b.init();
    targets.push(await b.addTarget('web1'), await b.addTarget('db1'));
    const key = await b.addUser('alice');
    await b.applyPolicy(policy(NO_RM));
    await b.start();
    cfg = b.sshConfig('alice', key, { web1: LOGIN, db1: LOGIN });
  });
  after(async () => {
    rmSync(marker, { force: true });
    await b.stop();
    for (const t of targets) await t.stop();
    db.server.close();
  });

  test('a denied command is refused before it runs, seen through quoting; the refusal names the rule', async () => {
    const r = await ssh(cfg, ['web1', `touch ${marker} && r''m -f ${marker}.none`]);
    assert.equal(r.code, 255);
    assert.equal(r.stderr.trim(), "fumidai: command refused: nothing is removed by hand here (rule 'no-rm') (COMMAND_DENIED)");
    assert.equal(existsSync(marker), false, 'the command never reached the target');
    const [e] = await matched('no-rm');
    assert.equal(e!.result, 'failure');
    assert.equal(e!.action, 'deny');
    assert.equal(e!.on, 'exec');
    assert.equal(e!.line, `touch ${marker} && r''m -f ${marker}.none`);
    assert.equal(e!.target, 'web1');
    assert.equal(b.events('ChannelOpen').filter((o) => String(o.command).includes(marker)).length, 0, 'a refused command never opened');
  });

  test('an allow-list in scope lets its commands run and refuses the rest; legacy scp is told what to do', async () => {
    const up = await ssh(cfg, ['db1', 'uptime']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /load average/);
    const touch = await ssh(cfg, ['db1', `touch ${marker}`]);
    assert.equal(touch.code, 255);
    assert.match(touch.stderr, new RegExp(`command refused: only the commands of the allow-list 'prod-allow' may run as ${LOGIN} on db1 \\(rule 'prod-allow'\\) \\(COMMAND_DENIED\\)`));
    assert.equal(existsSync(marker), false);
    const scp = await run('scp', ['-F', cfg, '-O', '-q', join(b.data, 'fumidai.yaml'), `db1:/tmp/`], { timeoutMs: 30_000 });
    assert.notEqual(scp.code, 0);
    assert.match(scp.stderr, /legacy scp runs 'scp -t …' as a command: an allow-list must list the program scp, or use sftp/);
    const sftp = await run('sftp', ['-F', cfg, '-b', '/dev/null', 'db1'], { timeoutMs: 30_000 });
    assert.equal(sftp.code, 0, `sftp is a subsystem, not an exec command: ${sftp.stderr}`);
    const allowed = await matched('prod-allow', 3);
    assert.deepEqual(allowed.map((e) => [e.action, e.result]), [['allow', 'success'], ['deny', 'failure'], ['deny', 'failure']]);
  });

  test('an alert lets the command run and writes CommandMatched with its line', async () => {
    const r = await ssh(cfg, ['web1', 'echo watched-42']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'watched-42\n');
    const [e] = await matched('watch-echo');
    assert.equal(e!.result, 'success');
    assert.equal(e!.reason, 'echo is watched');
    assert.equal(e!.line, 'echo watched-42');
  });

  test('ssh -L and -W to a deny-listed port are refused before the target connects; -R on prod is refused', async () => {
    const localPort = await freePort();
    const child = spawn('ssh', ['-F', cfg, '-N', '-o', 'LogLevel INFO', '-L', `${localPort}:127.0.0.1:${db.port}`, 'web1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    try {
      await waitForPort(localPort);
      const got = await new Promise<string>((resolve) => {
        let data = '';
        const s = connect(localPort, '127.0.0.1');
        s.on('data', (d) => (data += d)).on('close', () => resolve(data)).on('error', () => resolve(data));
      });
      assert.equal(got, '');
      const deadline = Date.now() + 5000;
      while (!/FORWARD_DENIED/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await stopChild(child);
    }
    const line = `fumidai: forwarding to 127.0.0.1:${db.port} refused: use the db proxy (rule 'no-db-tunnels') (FORWARD_DENIED)`;
    assert.match(stderr, /open failed: [a-z ]+: fumidai: forwarding to/);
    assert.ok(stderr.includes(line), stderr);
    const w = await ssh(cfg, ['-o', 'LogLevel INFO', '-W', `127.0.0.1:${db.port}`, 'web1'], { input: 'x' });
    assert.equal(w.code, 255);
    assert.ok(w.stderr.includes(line), w.stderr);
    assert.equal(db.connections, 0, 'the target never connected');
    const forwards = await b.waitForEvents('PortForward', 2, (e) => e.result === 'failure' && e.direction === 'local');
    assert.ok(forwards.length >= 2, 'waitForPort, the connection and -W each asked'); // waitForPort's own probe asks too
    for (const f of forwards) assert.match(String(f.reason), /use the db proxy \(rule 'no-db-tunnels'\)/);
    const events = await matched('no-db-tunnels', forwards.length);
    assert.deepEqual(new Set(events.map((e) => `${e.on} ${e.line} ${e.result}`)), new Set([`tunnel local-forward 127.0.0.1:${db.port} failure`]));

    const r = await ssh(cfg, ['-o', 'ExitOnForwardFailure=yes', '-R', `${await freePort()}:127.0.0.1:${db.port}`, 'db1', 'uptime']);
    assert.equal(r.code, 255);
    assert.match(r.stderr, /remote port forwarding failed/);
    const [listener] = await matched('no-listeners');
    assert.equal(listener!.result, 'failure');
    assert.equal((await ssh(cfg, ['-W', `127.0.0.1:${db.port}`, 'db1'], { input: '' })).stdout, 'db-hello', 'another port or target is not refused');
    assert.equal(db.connections, 1);
  });

  test('file rules: a download matching a deny glob fails over sftp, scp and legacy scp; a bulk download alerts with its size', async () => {
    const dir = `/tmp/fumidai-cmd-files-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    const big = randomBytes(2_000_000);
    writeFileSync(join(dir, 'secret.txt'), 'top secret\n');
    writeFileSync(join(dir, 'big.bin'), big);
    execFileSync('chown', ['-R', LOGIN, dir]);
    const local = (name: string) => join(b.dir, name);
    try {
      const batch = join(b.dir, 'get-secret');
      writeFileSync(batch, `get ${dir}/secret.txt ${local('s1')}\n`);
      const sftp = await run('sftp', ['-F', cfg, '-b', batch, 'web1'], { timeoutMs: 30_000 });
      assert.notEqual(sftp.code, 0);
      assert.match(sftp.stderr, new RegExp(`remote open "${dir}/secret.txt": Permission denied`));
      assert.equal(existsSync(local('s1')), false, 'nothing written locally');
      const scp = await run('scp', ['-F', cfg, '-q', `web1:${dir}/secret.txt`, local('s2')], { timeoutMs: 30_000 });
      assert.notEqual(scp.code, 0);
      assert.equal(existsSync(local('s2')), false);
      const legacy = await run('scp', ['-F', cfg, '-q', '-O', `web1:${dir}/secret.txt`, local('s3')], { timeoutMs: 30_000 });
      assert.notEqual(legacy.code, 0);
      assert.match(legacy.stderr, new RegExp(`file transfer of ${dir}/secret.txt refused: secrets stay on the host \\(rule 'no-secrets-out'\\) \\(TRANSFER_DENIED\\)`));
      assert.equal(existsSync(local('s3')), false);
      const refused = await matched('no-secrets-out', 3);
      assert.deepEqual(refused.map((e) => [e.on, e.line, e.result]), Array(3).fill(['file', `download ${dir}/secret.txt`, 'failure']));
      // What the rules allow goes through the gate intact, both ways.
      writeFileSync(batch, `get ${dir}/big.bin ${local('big')}\nput ${local('big')} ${dir}/up.bin\n`);
      const ok = await run('sftp', ['-F', cfg, '-b', batch, 'web1'], { timeoutMs: 60_000 });
      assert.equal(ok.code, 0, ok.stderr);
      assert.ok(readFileSync(local('big')).equals(big));
      assert.ok(readFileSync(join(dir, 'up.bin')).equals(big));
      const [bulk] = await matched('bulk-read');
      assert.equal(bulk!.line, `download ${dir}/big.bin (2000000 bytes)`);
      assert.equal(bulk!.reason, 'a bulk download');
      assert.equal(typeof bulk!.channel, 'number');
      const transfers = await b.waitForEvents('FileTransfer', 1, (e) => e.path === `${dir}/secret.txt`);
      assert.match(String(transfers[0]!.reason), /TRANSFER_DENIED/, 'the refused open is recorded as the client saw it');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('policy check --command prints the exec decision and its rules; sessions show lists the matches', async () => {
    let r = await b.cli(['policy', 'check', 'alice', 'web1', '--login', LOGIN, '--command', "r''m -rf /srv"], true);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "ALLOW: allowed by rule 'ops'\nCOMMAND DENY: nothing is removed by hand here (rule 'no-rm')\n  rule 'no-rm' (deny): nothing is removed by hand here\n");
    r = await b.cli(['policy', 'check', 'alice', 'web1', '--command', 'echo hi']);
    assert.equal(r.stdout, "ALLOW: allowed by rule 'ops'\nCOMMAND ALLOW\n  rule 'watch-echo' (alert): echo is watched\n");
    r = await b.cli(['policy', 'check', 'alice', 'db1', '--command', 'uptime']);
    assert.equal(r.stdout, "ALLOW: allowed by rule 'ops'\nCOMMAND ALLOW\n  rule 'prod-allow' (allow): allowed\n");
    r = await b.cli(['policy', 'check', 'alice', 'db1', '--command', 'touch x'], true);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^COMMAND DENY: only the commands of the allow-list 'prod-allow' may run as fumidaitest on db1 \(rule 'prod-allow'\)$/m);

    const [denied] = await matched('no-rm');
    const show = await b.cli(['sessions', 'show', String(denied!.sessionId)]);
    assert.match(show.stdout, /^rule matches \(CommandMatched\)$/m);
    assert.match(show.stdout, new RegExp(`^\\S+\\s+exec\\s+no-rm\\s+deny\\s+refused\\s+touch ${marker} && r''m -f ${marker}\\.none\\s+nothing is removed by hand here$`, 'm'));
    const json = JSON.parse((await b.cli(['sessions', 'show', String(denied!.sessionId), '--json'])).stdout);
    assert.deepEqual(json.ruleMatches.map((m: { rule: string; result: string }) => [m.rule, m.result]), [['no-rm', 'failure']]);
  });

  test('a reloaded policy applies to the next channel', async () => {
    await b.applyPolicy(policy());
    const r = await ssh(cfg, ['web1', `touch ${marker} && r''m -f ${marker}.none`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(marker), true);
  });
});
