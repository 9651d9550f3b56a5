// The evidence verifier over fixtures a real AuditLog wrote: valid as exported; one byte changed in an event, a
// checkpoint or a recording is named. The same checks run through the page's inlined script text under Node's
// WebCrypto, so the CLI's and the browser's verdicts cannot drift.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createContext, runInContext } from 'node:vm';
import { AuditLog } from '../audit/audit-log.js';
import { keyFingerprint } from '../audit/chain.js';
import { readSegments } from '../audit/verify.js';
import { buildBundle, bundleFromPage, proofRanges, writeEvidencePage } from './bundle.js';
import { verifyEvidence, type EvidenceBundle, type EvidenceVerdict } from './proof.js';

const KEY = '20261205T120000Z-alice-0123456789';
const keys = generateKeyPairSync('ed25519');
const FP = keyFingerprint(keys.publicKey);
let tmp: string;
let bundle: EvidenceBundle;
let page: string;
type Verify = (b: EvidenceBundle, pinned?: string) => Promise<EvidenceVerdict>;
let inPage: Verify;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fumidai-evidence-'));
  const cast = join(tmp, '01-shell.cast');
  writeFileSync(cast, '{"version":2,"width":80,"height":24}\n[0.1,"o","$ "]\n[0.5,"i","ls\\r"]\n[0.6,"o","final-screen-text\\r\\n"]\n');
  const sha256 = createHash('sha256').update(readFileSync(cast)).digest('hex');
  const log = new AuditLog(join(tmp, 'node1'), keys.privateKey, { checkpointIntervalMs: 20 });
  const base = { user: 'alice', sourceIp: '127.0.0.1' };
  await log.record({ eventName: 'SessionStart', sessionId: 'other', ...base, details: {} });
  // Written in one batch: no checkpoint between them, so SessionStart is followed by a line in its range.
  await Promise.all([
    log.record({ eventName: 'SessionStart', sessionId: KEY, ...base, details: {} }),
    log.record({ eventName: 'ChannelOpen', sessionId: KEY, ...base, details: { channelType: 'shell', pty: true } }),
  ]);
  await sleep(60); // a checkpoint between the session's events: two ranges
  await log.record({ eventName: 'SessionEnd', sessionId: 'other', ...base, details: { durationSec: 1, bytesIn: 0, bytesOut: 0 } });
  await log.record({ eventName: 'RecordingSealed', sessionId: KEY, ...base, details: { channel: 1, path: cast, sha256, bytes: 99 } });
  await log.record({ eventName: 'SessionEnd', sessionId: KEY, ...base, details: { exitStatus: 0, durationSec: 1, bytesIn: 1, bytesOut: 2 } });
  await sleep(60);
  await log.close();
  bundle = (await buildBundle(KEY, 'node1', readSegments(join(tmp, 'node1')), keys.publicKey, [cast]))!;
  page = join(tmp, 'evidence.html');
  await writeEvidencePage(bundle, { ...base, startedAt: '2026-12-05T12:00:00Z' }, page);
  // The page's own script, as inlined, run under Node's WebCrypto (without the DOM rendering call at its end).
  const scripts = [...readFileSync(page, 'utf8').matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const own = scripts.at(-1)!;
  assert.ok(own.endsWith('renderEvidence();'));
  const ctx = createContext({ crypto: globalThis.crypto, TextEncoder, atob, btoa });
  const fn = runInContext(`${own.slice(0, -"renderEvidence();".length)}\nverifyEvidence`, ctx) as Verify;
  inPage = async (b, pinned) => JSON.parse(JSON.stringify(await fn(b, pinned))) as EvidenceVerdict; // plain objects of this realm
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The bundle with one byte of the first line matching `find` changed (in the line's text, as the file holds it). */
function tamperLine(b: EvidenceBundle, find: string, from: string, to: string): EvidenceBundle {
  const copy = structuredClone(b);
  const range = copy.ranges.find((r) => r.lines.some((l) => l.includes(find)))!;
  const i = range.lines.findIndex((l) => l.includes(find));
  assert.ok(range.lines[i]!.includes(from));
  range.lines[i] = range.lines[i]!.replace(from, to);
  return copy;
}

describe('evidence verifier', () => {
  for (const [name, verify] of [['CLI (node:crypto)', () => verifyEvidence], ['page script (WebCrypto under Node)', () => inPage]] as const) {
    test(`${name}: the exported bundle is valid, pinned to the key`, async () => {
      const v = await verify()(bundle, FP);
      assert.deepEqual(v.problems, []);
      assert.equal(v.ok, true);
      assert.equal(v.fingerprint, FP);
      assert.equal(v.events, 4, 'every event of the session is proven');
      assert.equal(v.recordings, 1);
      assert.equal(v.checkpoints, 2);
    });
    test(`${name}: one byte changed in an event names that event`, async () => {
      const v = await verify()(tamperLine(bundle, '"ChannelOpen"', '"channelType":"shell"', '"channelType":"shelL"'), FP);
      assert.equal(v.ok, false);
      assert.match(v.problems.join('\n'), /^event seq 3 \(ChannelOpen\) does not verify: its hash does not match/m);
    });
    test(`${name}: one byte changed in an event inside a range names it by the next line's prev`, async () => {
      const start = bundle.ranges[0]!.lines[0]!;
      assert.equal(JSON.parse(start).eventName, 'SessionStart');
      const v = await verify()(tamperLine(bundle, start, '"eventTime":"2', '"eventTime":"3'), FP);
      assert.deepEqual(v.problems, ["event seq 2 (SessionStart) does not verify: its hash does not match the next line's prev"]);
    });
    test(`${name}: one byte changed in the last event before a checkpoint, or in the checkpoint`, async () => {
      const last = bundle.ranges.at(-1)!.lines.at(-2)!;
      const name = JSON.parse(last).eventName as string;
      const end = await verify()(tamperLine(bundle, last, '"eventTime":"2', '"eventTime":"3'), FP);
      assert.match(end.problems.join('\n'), new RegExp(`event seq \\d+ \\(${name}\\) does not verify: its hash does not match`));
      const cp = await verify()(tamperLine(bundle, '"checkpoint"', '"at":"2', '"at":"3'), FP);
      assert.match(cp.problems.join('\n'), /checkpoint seq \d+ does not verify: its signature does not match/);
    });
    test(`${name}: one byte changed in a recording names the recording`, async () => {
      const copy = structuredClone(bundle);
      const bytes = Buffer.from(copy.recordings[0]!.base64, 'base64');
      bytes[bytes.length - 5] ^= 1;
      copy.recordings[0]!.base64 = bytes.toString('base64');
      const v = await verify()(copy, FP);
      assert.deepEqual(v.problems, ['recording 01-shell.cast does not match its sealed sha256']);
    });
    test(`${name}: another key than the pinned one is named`, async () => {
      const other = keyFingerprint(generateKeyPairSync('ed25519').publicKey);
      const v = await verify()(bundle, other);
      assert.equal(v.pinned, false);
      assert.match(v.problems[0]!, /not the pinned SHA256:/);
    });
  }
  test('the proof holds the session\'s events up to the next checkpoint, and the page gives the bundle back', () => {
    const ranges = proofRanges(readSegments(join(tmp, 'node1')), KEY)!;
    assert.equal(ranges.length, 2);
    for (const r of ranges) assert.ok(JSON.parse(r.lines.at(-1)!).checkpoint);
    assert.ok(!JSON.parse(ranges[0]!.lines[0]!).sessionId.startsWith('other'), 'starts at the session\'s first event');
    assert.equal(proofRanges(readSegments(join(tmp, 'node1')), 'nobody'), undefined);
    assert.deepEqual(bundleFromPage(readFileSync(page, 'utf8')), bundle);
    assert.match(readFileSync(page, 'utf8'), /Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
  });
});
