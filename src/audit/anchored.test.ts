import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from './audit-log.js';
import { compareWithAnchors, missingChains } from './anchored.js';
import { readSegments } from './verify.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const key = generateKeyPairSync('ed25519').privateKey;

/** A trail of `users` logins, a checkpoint after every `every` events; returns its segments and anchored lines. */
async function trail(users: string[], every = 3) {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-anchored-'));
  made.push(dir);
  const anchored: string[] = [];
  const log = new AuditLog(join(dir, 'n1'), key, { onCheckpoint: (line) => anchored.push(line), now: () => new Date('2026-12-05T10:00:00Z') });
  for (const [i, user] of users.entries()) {
    await log.record({ eventName: 'AuthSuccess', user, sourceIp: '10.0.0.1' });
    if ((i + 1) % every === 0) await log.checkpoint();
  }
  await log.close();
  return { segments: readSegments(join(dir, 'n1')), anchored };
}

const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];

test('an untouched trail matches its anchors', async () => {
  const { segments, anchored } = await trail(users);
  assert.equal(anchored.length, 3);
  assert.deepEqual(compareWithAnchors('n1', segments, anchored), []);
});

test('events cut from the end: the local head is behind the newest anchor', async () => {
  const { segments, anchored } = await trail(users);
  const cut = [{ name: segments[0]!.name, text: segments[0]!.text.split('\n').slice(0, 5).join('\n') + '\n' }];
  const problems = compareWithAnchors('n1', cut, anchored);
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^n1: the local trail ends at seq 5, behind the newest anchored checkpoint \(seq \d+/);
});

test('an event rewritten, the chain and every checkpoint re-signed with the same key: the anchors differ', async () => {
  const original = await trail(users);
  const forged = await trail(users.map((u) => (u === 'bob' ? 'alice' : u))); // a fresh, consistent, signed trail
  const problems = compareWithAnchors('n1', forged.segments, original.anchored);
  assert.ok(problems.length >= 1);
  assert.match(problems[0]!, /^n1: the anchored checkpoint at seq 4 \(.+\) does not match the local line 4: the lines it covers were rewritten$/);
});

test('an anchor taken out of the sequence is seen, and a chain the anchors know of must exist', async () => {
  const { segments, anchored } = await trail(users, 2);
  const holes = [anchored[0]!, ...anchored.slice(2)];
  assert.deepEqual(compareWithAnchors('n1', segments, holes), [`n1: a checkpoint between seq 3 and 9 is missing from the anchored sequence`]);
  assert.deepEqual(missingChains(['n1'], ['n1', 'n1-admin']), ['n1-admin: the whole chain is missing here, though its checkpoints are anchored']);
});
