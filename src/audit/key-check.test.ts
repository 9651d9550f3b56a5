import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit-log.js';
import { assertKeySignedTrail, newestCheckpoint } from './key-check.js';
import { keyFingerprint } from './keys.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fumidai-key-check-'));
  made.push(d);
  return d;
};
const a = generateKeyPairSync('ed25519');
const b = generateKeyPairSync('ed25519');

/** Two days of a chain signed by `key`, then one event of a third day (an open segment). */
async function trail(key = a.privateKey): Promise<string> {
  const dir = join(tempDir(), 'node1');
  let now = new Date('2026-11-20T12:00:00Z');
  const log = new AuditLog(dir, key, () => now);
  for (let day = 0; day < 3; day++) {
    await log.record({ eventName: 'AdminChange', user: 'root', reason: `day ${day}` });
    now = new Date(now.getTime() + 24 * 3600 * 1000);
  }
  return dir; // not closed: the newest segment has no checkpoint, the one before ends with one
}

test('a trail signed by key A passes with A and is refused with B, naming the key and the checkpoint', async () => {
  const dir = await trail();
  assert.equal(newestCheckpoint(dir)?.where, 'node1/2026-11-21.jsonl line 2');
  assertKeySignedTrail([dir], a.publicKey, '/k/audit_ed25519_key');
  assert.throws(() => assertKeySignedTrail([dir], b.publicKey, '/k/audit_ed25519_key'), {
    code: 'AUDIT_KEY_CHANGED',
    message: new RegExp(`^the audit signing key /k/audit_ed25519_key \\(${keyFingerprint(b.publicKey).replace(/[+/]/g, '\\$&')}\\) did not sign this node's trail \\(newest checkpoint: node1/2026-11-21\\.jsonl line 2\\)`),
  });
});

test('an empty or absent trail passes any key; so does one without a checkpoint yet', async () => {
  const root = tempDir();
  assertKeySignedTrail([join(root, 'absent')], b.publicKey, 'k');
  mkdirSync(join(root, 'empty'));
  assertKeySignedTrail([join(root, 'empty')], b.publicKey, 'k');
  const open = join(root, 'open');
  const log = new AuditLog(open, a.privateKey);
  await log.record({ eventName: 'AdminChange', user: 'root', reason: 'first' });
  assertKeySignedTrail([open], b.publicKey, 'k');
});

test('the newest checkpoint counts: a torn last line is skipped, an older key no longer passes', async () => {
  const dir = await trail(a.privateKey);
  const again = new AuditLog(dir, b.privateKey, () => new Date('2026-11-23T12:00:00Z')); // key B took over later
  await again.record({ eventName: 'AdminChange', user: 'root', reason: 'later' });
  await again.close();
  appendFileSync(join(dir, '2026-11-23.jsonl'), '{"checkpoint":{"segm');
  assertKeySignedTrail([dir], b.publicKey, 'k');
  assert.throws(() => assertKeySignedTrail([dir], a.publicKey, 'k'), { code: 'AUDIT_KEY_CHANGED' });
});

test('a checkpoint that records its key fingerprint (the newer format) is compared by fingerprint', () => {
  const dir = join(tempDir(), 'v2');
  mkdirSync(dir);
  const line = (fp: string) => JSON.stringify({ seq: 2, prev: 'x', checkpoint: { v: 2, segment: '2026-11-20.jsonl', lines: 1, last: 'x', signature: 'not checked here', keyFingerprint: fp } });
  writeFileSync(join(dir, '2026-11-20.jsonl'), `{"seq":1}\n${line(keyFingerprint(a.publicKey))}\n`);
  assertKeySignedTrail([dir], a.publicKey, 'k');
  assert.throws(() => assertKeySignedTrail([dir], b.publicKey, 'k'), { code: 'AUDIT_KEY_CHANGED' });
});
