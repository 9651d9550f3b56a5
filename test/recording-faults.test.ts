// Recordings under faults: a SIGKILLed fumidai loses at most about a second and the next start seals what was left
// as interrupted, with an audit event naming each repaired file's digest; a full disk ends the session with a message
// and refuses new ones, never relays unrecorded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, startTarget, type Target } from './helpers/sshd.js';
import { parseCast } from '../src/recording/asciicast.js';
import Database from 'better-sqlite3';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('recording faults', () => {
  let web1: Target;
  before(async () => {
    web1 = await startTarget({ authorizedKeys: '' });
  });
  after(() => web1?.stop());

  const setUp = async (edits: Record<string, string> = {}) => {
    const b = new Bastion();
    await b.init(edits);
    execFileSync('sh', ['-c', `cat >> ${web1.authorizedKeys}`], { input: await b.upstreamPublicKey() });
    await b.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(web1.port), '--login', LOGIN]);
    const key = await b.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']);
    await b.start();
    return { b, cfg: b.sshConfig('alice', key, { web1: LOGIN }) };
  };

  test('SIGKILL: the recording keeps all but about the last second and is sealed as interrupted at next start', async () => {
    const { b, cfg } = await setUp();
    try {
      const script = JSON.stringify([{ expect: '\\$ ' }, { send: 'for i in $(seq 1 400); do echo tick-$i; sleep 0.1; done\r' }, { expect: 'tick-30\\r' }]);
      const client = run('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', 'web1'], { timeoutMs: 60_000 });
      // An exec channel that outputs nothing, cut by the same crash: its binary log is sealed too.
      const quiet = run('ssh', ['-F', cfg, 'web1', 'sleep 30'], { timeoutMs: 60_000 });
      const recordings = () => (existsSync(join(b.data, 'recordings')) ? readdirSync(join(b.data, 'recordings'), { recursive: true }).map(String) : []);
      for (const deadline = Date.now() + 10_000; !recordings().some((f) => f.endsWith('-exec.bin')) && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100)));
      await new Promise((r) => setTimeout(r, 3500));
      b.process!.kill('SIGKILL');
      const seen = (await client).stdout;
      await quiet;
      const lastSeen = Math.max(...[...seen.matchAll(/tick-(\d+)\r/g)].map((m) => Number(m[1])));
      await b.start(); // the next start repairs and seals
      const sessions = (await b.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(sessions.map((s) => s.state), ['interrupted', 'interrupted']);
      const shown = await Promise.all(sessions.map(async (s) => ({ session: s, channels: JSON.parse((await b.cli(['sessions', 'show', s.auditKey, '--json'])).stdout).channels })));
      const { session, channels } = shown.find((s) => s.channels[0].recordingPath.endsWith('.cast'))!;
      assert.equal(channels[0].state, 'interrupted');
      const file = readFileSync(channels[0].recordingPath);
      assert.equal(channels[0].sha256, createHash('sha256').update(file).digest('hex'));
      const output = parseCast(file.toString('utf8')).events.filter((e) => e.type === 'o').map((e) => e.data).join('');
      const lastRecorded = Math.max(...[...output.matchAll(/tick-(\d+)\r/g)].map((m) => Number(m[1])));
      console.log(`# client saw tick-${lastSeen}, recording kept tick-${lastRecorded} (0.1 s apart)`);
      assert.ok(lastRecorded >= lastSeen - 15, `recording lost more than about a second: ${lastRecorded} vs ${lastSeen}`);
      assert.equal(execFileSync('python3', [PTY, '24', '80', '[]', '--', 'asciinema', 'cat', channels[0].recordingPath]).includes('tick-1\r'), true);
      // The trail holds one RecordingInterrupted event per channel, naming the digest of the file as repaired, and
      // verify hashes the files against it.
      const events = (await b.cli(['audit', 'query', '--json', `SELECT sessionId, "user", target, login, result, details FROM events WHERE eventName = 'RecordingInterrupted'`]))
        .stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
      assert.equal(events.length, 2, 'one event per recovered channel');
      for (const { session: s, channels: [ch] } of shown) {
        const e = events.find((x) => x.sessionId === s.auditKey)!;
        assert.ok(e, `no RecordingInterrupted event for ${s.auditKey}`);
        assert.deepEqual([e.user, e.target, e.login, e.result], ['alice', 'web1', LOGIN, 'success']);
        const d = JSON.parse(e.details);
        const onDisk = readFileSync(ch.recordingPath);
        assert.deepEqual([d.channel, d.path, d.sha256, d.bytes], [ch.channel, ch.recordingPath, createHash('sha256').update(onDisk).digest('hex'), onDisk.length]);
        assert.equal(d.tornPath === undefined ? 0 : readFileSync(d.tornPath).length, d.cut);
      }
      const verify = await b.cli(['audit', 'verify'], true);
      assert.equal(verify.code, 0, verify.stderr);
      assert.match(verify.stdout, /recordings: 2 sealed, 2 match their sealed sha256/);
      // Its screens are indexed at that start too: the session cut by the crash can be searched.
      let hits = '';
      for (const deadline = Date.now() + 15_000; !hits.includes(session.auditKey) && Date.now() < deadline; await new Promise((r) => setTimeout(r, 250)))
        hits = (await b.cli(['sessions', 'search', `tick-${lastRecorded}`])).stdout;
      assert.match(hits, new RegExp(`${session.auditKey}\\s+1\\s`));
    } finally {
      await b.stop();
    }
  });

  test('a stop after a terminal recording was sealed but before its screens were indexed: the next start indexes them', async () => {
    const { b, cfg } = await setUp();
    try {
      const r = await ssh(cfg, ['-tt', 'web1', 'echo indexed-after-$((6*7))']);
      assert.match(r.stdout, /indexed-after-42/);
      const search = async () => (await b.cli(['sessions', 'search', 'indexed-after-42'])).stdout;
      const found = async () => {
        for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 250))) if (/\S+\s+1\s/.test(await search())) return true;
        return false;
      };
      assert.ok(await found(), 'indexed when the session ended');
      // What a process that went between the seal and the index leaves: the channel sealed, its screens not indexed.
      const exited = once(b.process!, 'exit');
      b.process!.kill('SIGTERM');
      await exited;
      const db = new Database(join(b.data, 'fumidai.db'));
      db.prepare('DELETE FROM screen_text').run();
      assert.equal(db.prepare(`UPDATE channels SET screen_pending = 1 WHERE state = 'sealed' AND recording_path LIKE '%.cast'`).run().changes, 1);
      db.close();
      assert.doesNotMatch(await search(), /\S+\s+1\s/);
      await b.start();
      assert.ok(await found(), 'indexed at the next start');
    } finally {
      await b.stop();
    }
  });

  for (const directIo of [false, true]) test(`disk full (directIo ${directIo}): the session is ended with a message and new ones are refused`, async () => {
    const mount = mkdtempSync(join(tmpdir(), 'fumidai-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount]);
    } catch {
      rmSync(mount, { recursive: true, force: true });
      assert.fail('cannot mount a small tmpfs here (the test needs root)');
    }
    const { b, cfg } = await setUp({ 'dir: recordings': `dir: ${mount}`, 'minFreeMB: 64': 'minFreeMB: 0.1', 'directIo: false': `directIo: ${directIo}` });
    try {
      const big = await ssh(cfg, ['web1', 'head -c 3000000 /dev/urandom | base64; echo not-reached'], { timeoutMs: 60_000 });
      assert.equal(big.code, 255, big.stderr);
      assert.match(big.stderr, /fumidai: the session could not be recorded \(ENOSPC\), so it was ended; tell the administrator \(RECORDING_FAILED\)/);
      assert.doesNotMatch(big.stdout, /not-reached/);
      assert.ok(big.stdout.length < 3_000_000, 'the relay stopped when the recording did');
      const again = await ssh(cfg, ['web1', 'echo should-not-run'], { timeoutMs: 30_000 });
      assert.equal(again.code, 255);
      assert.doesNotMatch(again.stdout, /should-not-run/);
      assert.match(again.stderr, /RECORDING_FAILED/);
      assert.ok(b.events('RecordingFailed').length >= 2);
    } finally {
      await b.stop();
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true, force: true });
    }
  });
});
