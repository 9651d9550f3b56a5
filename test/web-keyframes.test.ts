// Windowed replay's keyframes, built once a terminal recording is sealed where the console runs (nobody viewing it),
// and pruned once their recording has left this node: a real OpenSSH session through fumidai with web.listen set,
// then restarts of the server (pruning runs at start).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from './helpers/proc.js';
import { Bastion, ROOT } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';
import { readTrail } from './helpers/web-console.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('keyframes at seal, and pruning', () => {
  const bastion = new Bastion();
  let target: Target | undefined;
  const restart = async () => {
    await stopChild(bastion.process!);
    await bastion.start();
  };

  before(async () => {
    await bastion.init();
    bastion.webListen = '127.0.0.1:0';
    const { target: t, cfg } = await bastion.startWith('alice', 'web1');
    target = t;
    execFileSync('python3', [PTY, '24', '80', JSON.stringify([{ expect: '\\$ ' }, { send: 'echo kf-$((6*7))\r' }, { expect: 'kf-42' }, { send: 'exit\r' }]), '--', 'ssh', '-F', cfg, '-tt', 'web1']);
  });
  after(async () => {
    await bastion.stop();
    await target?.stop();
  });

  test('a sealed recording has its keyframes without a view; they go once the recording is gone, others stay', async () => {
    const key = (JSON.parse((await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').at(-1)!) as { auditKey: string }).auditKey;
    const { channels } = JSON.parse((await bastion.cli(['sessions', 'show', key, '--json'])).stdout) as { channels: { sha256?: string; recordingPath: string }[] };
    const ch = channels.find((c) => c.recordingPath.endsWith('.cast'))!;
    assert.ok(ch.sha256, 'sealed');
    const sidecar = join(bastion.data, 'keyframes', `${ch.sha256}.json`);
    for (let i = 0; i < 100 && !existsSync(sidecar); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(existsSync(sidecar), 'keyframes made at seal');
    const saved = JSON.parse(readFileSync(sidecar, 'utf8')) as { path: string; time: { size: number }; snapshots: unknown[] };
    assert.equal(saved.path, ch.recordingPath);
    assert.ok(saved.snapshots.length >= 1);
    assert.doesNotMatch(readTrail(bastion.data), /"eventName":"RecordingViewed"/, 'nobody viewed it');

    // A keyframe file of a recording no longer here (and one from before paths were kept): gone at the next start.
    const orphan = join(bastion.data, 'keyframes', `${'a'.repeat(64)}.json`);
    const old = join(bastion.data, 'keyframes', `${'b'.repeat(64)}.json`);
    writeFileSync(orphan, JSON.stringify({ version: 1, path: join(bastion.data, 'recordings', 'gone.cast'), time: {}, snapshots: [] }));
    writeFileSync(old, JSON.stringify({ version: 1, time: {}, snapshots: [] }));
    await restart();
    for (let i = 0; i < 50 && existsSync(orphan); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(existsSync(orphan), false, 'recording gone: keyframes gone');
    assert.equal(existsSync(old), false, 'no path kept: made again at need');
    assert.ok(existsSync(sidecar), 'its recording is here: kept');

    // The recording itself removed from this node (as shipping's retention does): its keyframes go too.
    rmSync(ch.recordingPath);
    await restart();
    for (let i = 0; i < 50 && existsSync(sidecar); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(existsSync(sidecar), false);
  });
});
