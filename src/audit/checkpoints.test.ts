import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog } from './audit-log.js';
import { GENESIS, keyFingerprint, lineHash, signCheckpointBody, type Checkpoint } from './chain.js';
import { readSegments, verifySegments } from './verify.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const keys = generateKeyPairSync('ed25519');

function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-cp-'));
  made.push(dir);
  return join(dir, 'node1');
}

const lines = (dir: string) => readSegments(dir).flatMap((s) => s.text.split('\n').filter(Boolean));
const checkpointsOf = (dir: string) => lines(dir).map((l) => JSON.parse(l) as { checkpoint?: Checkpoint }).filter((l) => l.checkpoint).map((l) => l.checkpoint!);

test('checkpoints: the head is signed within the interval while events come, chained to the previous checkpoint', async () => {
  const dir = fresh();
  const anchored: string[] = [];
  const log = new AuditLog(dir, keys.privateKey, { checkpointIntervalMs: 50, onCheckpoint: (line) => anchored.push(line) });
  await log.record({ eventName: 'SessionStart', user: 'alice' });
  await log.record({ eventName: 'RecordingSealed', user: 'alice', details: { channel: 1, path: '/r/01-shell.cast', sha256: 'ab'.repeat(32), bytes: 10 } });
  await sleep(150);
  assert.equal(checkpointsOf(dir).length, 1, 'one checkpoint for the two events, none while nothing is written');
  await log.record({ eventName: 'SessionEnd', user: 'alice' });
  await sleep(150);
  await log.close();
  const cps = checkpointsOf(dir);
  assert.deepEqual(cps.map((c) => [c.final, c.headSeq]), [[false, 2], [false, 4], [true, 5]]);
  assert.deepEqual(cps[0]!.recordings, [{ path: '/r/01-shell.cast', sha256: 'ab'.repeat(32), bytes: 10 }]);
  assert.deepEqual(cps[1]!.recordings, []);
  assert.equal(cps[0]!.prevCheckpoint, GENESIS);
  assert.equal(cps[1]!.prevCheckpoint, lineHash(anchored[0]!));
  assert.equal(cps[0]!.keyFingerprint, keyFingerprint(keys.publicKey));
  assert.equal(cps[0]!.chain, 'node1');
  assert.deepEqual(anchored, lines(dir).filter((l) => l.includes('"checkpoint"')), 'every checkpoint line is handed on, as written');
  assert.deepEqual(verifySegments(readSegments(dir), keys.publicKey), { ok: true, segments: 1, events: 3, checkpoints: 3 });
});

test('checkpoints: after a restart the next checkpoint names the last one before it', async () => {
  const dir = fresh();
  const first = new AuditLog(dir, keys.privateKey, { checkpointIntervalMs: 20 });
  await first.record({ eventName: 'SessionStart', user: 'alice' });
  await sleep(80); // a periodic checkpoint, and then the process dies: no final one
  const second = new AuditLog(dir, keys.privateKey, { checkpointIntervalMs: 20 });
  await second.record({ eventName: 'SessionEnd', user: 'alice' });
  await second.close();
  const cps = checkpointsOf(dir);
  const cpLines = lines(dir).filter((l) => l.includes('"checkpoint"'));
  assert.equal(cps.length, 2);
  assert.equal(cps[1]!.prevCheckpoint, lineHash(cpLines[0]!));
  assert.equal(verifySegments(readSegments(dir), keys.publicKey).ok, true);
});

test('checkpoints: one signed by another key, or not naming the previous checkpoint, does not verify', async () => {
  const dir = fresh();
  const log = new AuditLog(dir, keys.privateKey, { checkpointIntervalMs: 20 });
  await log.record({ eventName: 'SessionStart', user: 'alice' });
  await sleep(60);
  await log.record({ eventName: 'SessionEnd', user: 'alice' });
  await log.close();
  const file = readSegments(dir)[0]!.name;
  const original = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
  const other = generateKeyPairSync('ed25519');
  const forge = (edit: (c: Checkpoint) => Checkpoint, key = keys.privateKey) =>
    original.map((l) => {
      const r = JSON.parse(l) as { checkpoint?: Checkpoint; seq: number };
      if (!r.checkpoint || r.checkpoint.final) return l;
      const { signature: _, ...body } = edit(r.checkpoint);
      return JSON.stringify({ ...r, checkpoint: signCheckpointBody(key, body) });
    });
  for (const [what, text] of [
    ['another key', forge((c) => c, other.privateKey)],
    ['a wrong previous checkpoint', forge((c) => ({ ...c, prevCheckpoint: 'f'.repeat(64) }))],
  ] as const) {
    writeFileSync(join(dir, file), text.join('\n') + '\n');
    const v = verifySegments(readSegments(dir), keys.publicKey);
    assert.equal(v.ok, false, what);
    assert.equal((v as { problem: string }).problem, 'bad signature', what);
  }
});

test('a line the writer never finished is moved to .torn at open, and the chain goes on from the last whole line', async () => {
  const dir = fresh();
  const log = new AuditLog(dir, keys.privateKey);
  await log.record({ eventName: 'SessionStart', user: 'alice' });
  const file = join(dir, readSegments(dir)[0]!.name);
  appendFileSync(file, '{"seq":2,"prev":"ab');
  const reopened = new AuditLog(dir, keys.privateKey);
  assert.deepEqual(reopened.torn, { segment: readSegments(dir)[0]!.name, bytes: 19 });
  assert.equal(readFileSync(`${file}.torn`, 'utf8'), '{"seq":2,"prev":"ab');
  await reopened.record({ eventName: 'SessionEnd', user: 'alice' });
  await reopened.close();
  assert.equal(verifySegments(readSegments(dir), keys.publicKey).ok, true);
});

test("the signing key's fingerprint is the one ssh-keygen prints for the same key", async () => {
  const { execFileSync } = await import('node:child_process');
  const { createPublicKey } = await import('node:crypto');
  const file = join(fresh(), '..', 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  // The raw key from OpenSSH's own public key line, as a node key object.
  const raw = Buffer.from(readFileSync(`${file}.pub`, 'utf8').split(' ')[1]!, 'base64').subarray(-32);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  const printed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' });
  assert.equal(keyFingerprint(key), printed.split(' ')[1]);
});
