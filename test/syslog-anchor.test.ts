// The audit trail anchored in a remote syslog, against a real rsyslogd: every checkpoint arrives in order and verbatim
// as an RFC 5424 message, `audit verify --syslog-export` checks the trail against the file the SIEM wrote (exit 3 on a
// cut or rewritten trail), checkpoints wait through an outage and a restart, and TLS checks the server's certificate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { Bastion, BIN, ssh } from './helpers/fumidai.js';
import { freePort, run } from './helpers/proc.js';
import { Rsyslog, selfSigned } from './helpers/rsyslog.js';
import { LOGIN, startTarget, type Target } from './helpers/sshd.js';
import { editLines, rechain } from './helpers/trail-edit.js';
import { readSegments } from '../src/audit/verify.js';
import { parseMessage, SD_ID } from '../src/shipping/syslog-message.js';

describe('checkpoints anchored in a remote syslog', () => {
  let web1: Target;
  before(async () => {
    web1 = await startTarget({ authorizedKeys: '' });
  });
  after(async () => {
    await web1?.stop();
  });

  const setUp = async (node: string, syslog: string, extra: Record<string, string> = {}) => {
    const b = new Bastion();
    await b.init({ '  keyFile: audit_ed25519_key\n': `  keyFile: audit_ed25519_key\n  node: ${node}\n  anchors:\n    syslog:\n${syslog}`, ...extra });
    execFileSync('sh', ['-c', `cat >> ${web1.authorizedKeys}`], { input: await b.upstreamPublicKey() });
    await b.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(web1.port), '--login', LOGIN]);
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    return { b, cfg: b.sshConfig('alice', key, { web1: LOGIN }), chainDir: join(b.data, 'audit', node) };
  };
  const tcp = (s: Rsyslog) => `      host: 127.0.0.1\n      port: ${s.port}\n`;

  /** The checkpoint lines the SIEM holds for a chain, first arrival of each, in the order they arrived. */
  const received = (s: Rsyslog, chain: string) => {
    const out: string[] = [];
    for (const line of s.lines()) {
      const m = parseMessage(line);
      if (m?.msgId === 'checkpoint' && m.sd.get(SD_ID)?.chain === chain && !out.includes(m.msg)) out.push(m.msg);
    }
    return out;
  };
  const localCheckpoints = (dir: string) => readSegments(dir).flatMap((s) => s.text.split('\n')).filter((l) => l.includes('"checkpoint":'));
  const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 10_000) => {
    for (const deadline = Date.now() + ms; !(await ok()); await new Promise((r) => setTimeout(r, 100)))
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  };
  const allArrived = (s: Rsyslog, chainDir: string) => {
    const local = localCheckpoints(chainDir);
    return local.length > 0 && received(s, chainDir.split('/').at(-1)!).length === local.length;
  };
  const stopped = async (b: Bastion) => {
    b.process!.kill('SIGTERM'); // a clean stop: the final checkpoint goes too
    await new Promise((r) => b.process!.once('exit', r));
  };
  const verify = (data: string, file: string) => run(process.execPath, [BIN, 'audit', 'verify', '--data', data, '--no-recordings', '--key', join(data, 'audit_ed25519_key.pub'), '--syslog-export', file]);

  test('checkpoints reach the SIEM in order and verbatim; verify against its file: 0, and 3 once the trail is cut or rewritten', async () => {
    const siem = new Rsyslog();
    await siem.start();
    const { b, cfg, chainDir } = await setUp('sys', tcp(siem));
    try {
      for (const word of ['one', 'two', 'three']) assert.equal((await ssh(cfg, ['web1', `echo ${word}`])).stdout, `${word}\n`);
      await until('the checkpoints to reach the syslog', () => allArrived(siem, chainDir));
      assert.deepEqual(received(siem, 'sys'), localCheckpoints(chainDir), 'the SIEM holds the very lines of the trail, in order');
      assert.deepEqual(received(siem, 'sys-admin'), localCheckpoints(join(b.data, 'audit', 'sys-admin')), 'and those the CLI staged before the start');
      await stopped(b);
      await until('the final checkpoint', () => allArrived(siem, chainDir));
      const clean = await verify(b.data, siem.file);
      assert.equal(clean.code, 0, clean.stdout + clean.stderr);
      assert.match(clean.stdout, new RegExp(`^anchors: the trail matches its \\d+ checkpoints anchored in the syslog export ${siem.file}$`, 'm'));

      const key = createPrivateKey(readFileSync(join(b.data, 'audit_ed25519_key')));
      const segmentOf = (data: string) => join(data, 'audit', 'sys', readSegments(join(data, 'audit', 'sys')).at(-1)!.name);
      const scenarios: [string, (data: string, file: string) => void, RegExp][] = [
        ['the last events deleted', (d) => editLines(segmentOf(d), (l) => l.slice(0, -6)), /fumidai: audit trail tampered: sys: the local trail ends at seq \d+, behind the newest anchored checkpoint/],
        ['a user renamed, hashes and checkpoints recomputed with the key', (d) => {
          editLines(segmentOf(d), (l) => l.map((x) => x.replaceAll('"user":"alice"', '"user":"bob"')));
          rechain(join(d, 'audit', 'sys'), key);
        }, /fumidai: audit trail tampered: sys: the anchored checkpoint at seq \d+ .* does not match the local line/],
        ['the whole chain removed', (d) => rmSync(join(d, 'audit', 'sys'), { recursive: true }), /sys: the whole chain is missing here/],
        ['a checkpoint in the SIEM with a broken signature', (_d, f) => editLines(f, (l) => l.map((x, i) => (i === l.length - 1 ? x.replace(/"signature":"./, '"signature":"A') : x))), /fumidai: audit trail tampered: .*siem-copy\.log line \d+ \(chain sys, seq \d+\): the checkpoint fails its signature/],
      ];
      for (const [i, [what, edit, expected]] of scenarios.entries()) {
        const copy = join(b.dir, `copy-${i}`);
        cpSync(b.data, copy, { recursive: true });
        const file = join(b.dir, 'siem-copy.log');
        cpSync(siem.file, file);
        edit(copy, file);
        const r = await verify(copy, file);
        assert.equal(r.code, 3, `${what}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, expected, what);
      }
      // Someone else's messages in the same file are not checkpoints, and change nothing.
      writeFileSync(join(b.dir, 'mixed.log'), ['<38>1 2026-12-05T10:00:00Z web-1 sshd 77 - - Accepted publickey for alice', readFileSync(siem.file, 'utf8'), 'garbage [line'].join('\n'));
      assert.equal((await verify(b.data, join(b.dir, 'mixed.log'))).code, 0);
    } finally {
      await b.stop();
      await siem.stop();
    }
  });

  test('with the syslog down, checkpoints wait (and count as unanchored) through a restart, then arrive in order, none lost', async () => {
    const siem = new Rsyslog();
    await siem.start();
    const metricsPort = await freePort();
    const { b, cfg, chainDir } = await setUp('away', tcp(siem), { '  # listen: 127.0.0.1:9722': `  listen: 127.0.0.1:${metricsPort}` });
    const unanchored = async () => Number(/^fumidai_audit_unanchored_checkpoints (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text())?.[1]);
    try {
      assert.equal((await ssh(cfg, ['web1', 'echo one'])).stdout, 'one\n');
      await until('the first checkpoints', () => allArrived(siem, chainDir));
      await siem.halt();
      for (const word of ['two', 'three', 'four']) {
        assert.equal((await ssh(cfg, ['web1', `echo ${word}`])).stdout, `${word}\n`);
        await new Promise((r) => setTimeout(r, 1200)); // a checkpoint each
      }
      const waiting = localCheckpoints(chainDir).length - received(siem, 'away').length;
      assert.ok(waiting >= 3, `${waiting} checkpoints wait for the syslog`);
      assert.ok((await unanchored()) >= 3, 'fumidai_audit_unanchored_checkpoints counts them');
      const warned = await b.waitForEvents('Anchoring', 1, (e) => e.to === 'syslog' && typeof e.error === 'string');
      assert.match(String(warned[0]?.error), /syslog 127\.0\.0\.1:\d+: connection refused/, b.log);
      await stopped(b); // and fumidai restarts while the syslog is still away
      await b.start();
      await siem.start();
      await until('the waiting checkpoints to arrive', () => allArrived(siem, chainDir), 40_000);
      assert.deepEqual(received(siem, 'away'), localCheckpoints(chainDir), 'in order, none lost');
      await until('nothing counted as unanchored', async () => (await unanchored()) === 0);
    } finally {
      await b.stop();
      await siem.stop();
    }
  });

  test('over TLS: checked against the configured CA; a wrong CA is a warning line, and the bastion goes on', async () => {
    const siem = new Rsyslog(true);
    await siem.start();
    const good = await setUp('tls', `${tcp(siem)}      tls: { ca: ${siem.ca}, servername: localhost }\n`);
    const other = await selfSigned(siem.dir, 'other');
    const bad = await setUp('wrongca', `${tcp(siem)}      tls: { ca: ${other.cert} }\n`);
    try {
      assert.equal((await ssh(good.cfg, ['web1', 'echo one'])).stdout, 'one\n');
      await until('the checkpoints to arrive over TLS', () => allArrived(siem, good.chainDir));
      assert.deepEqual(received(siem, 'tls'), localCheckpoints(good.chainDir));
      const warned = await bad.b.waitForEvents('Anchoring', 1, (e) => e.to === 'syslog' && typeof e.error === 'string', 10_000);
      assert.match(String(warned[0]?.error), /^syslog 127\.0\.0\.1:\d+: its TLS certificate is not trusted \(.+\): check audit\.anchors\.syslog\.tls/, bad.b.log);
      assert.equal((await ssh(bad.cfg, ['web1', 'echo still'])).stdout, 'still\n', 'the bastion serves on');
      assert.equal(bad.b.process!.exitCode, null);
      assert.deepEqual(received(siem, 'wrongca'), [], 'nothing went to a server it does not trust');
    } finally {
      await good.b.stop();
      await bad.b.stop();
      await siem.stop();
    }
  });
});
