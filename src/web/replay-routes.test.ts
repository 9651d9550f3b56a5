import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { tempDir } from '../../test/helpers/temp-dir.js';
import type { ChannelRecord } from '../store/store.js';
import type { ConsoleSession } from './console-sessions.js';
import { replayRoutes } from './replay-routes.js';

const KEY = '20261205T154100Z-alice-0a1b2c3d4e';
const SHA = 'a'.repeat(64);

async function appWith(channel: ChannelRecord, record: () => Promise<void>, keyframeDir?: string) {
  const app = Fastify();
  const logins: Record<string, ConsoleSession> = { a: { name: 'ann', role: 'auditor', lastSeen: 0 }, b: { name: 'bob', role: 'auditor', lastSeen: 0 } };
  app.addHook('onRequest', async (req) => {
    req.consoleSession = logins[String(req.headers['x-login'] ?? 'a')];
  });
  const typed = replayRoutes(app, { index: { channelsOf: async (k) => (k === KEY ? [channel] : []) }, audit: { record }, ...(keyframeDir ? { keyframeDir } : {}) });
  await app.ready();
  return { app, typed };
}

function castFile(dir: string): string {
  const lines = [JSON.stringify({ version: 2, width: 80, height: 24 })];
  for (let i = 0; i < 40; i++) lines.push(JSON.stringify([i * 0.5, 'o', `line ${i} ${'x'.repeat(60)}\r\n`]), JSON.stringify([i * 0.5, 'i', i % 10 === 0 ? `cmd${i}\r` : '']));
  const path = join(dir, '01-shell.cast');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test('replay routes: index and segments; one RecordingViewed per console login and recording; typed input from the same pass; kept by sha256', async () => {
  const dir = tempDir('fumidai-replay-');
  const channel: ChannelRecord = { auditKey: KEY, channel: 1, kind: 'shell', recordingPath: castFile(dir), startedAt: '', bytesIn: 0, bytesOut: 0, state: 'sealed', sha256: SHA };
  const views: string[] = [];
  const { app, typed } = await appWith(channel, async () => void views.push('v'), join(dir, 'keyframes'));
  const index = (await app.inject(`/sessions/${KEY}/recordings/1/replay`)).json() as { duration: number; segments: { url: string }[] };
  assert.equal(index.duration, 19.5);
  assert.equal(index.segments.length, 1, 'a small recording is one segment');
  const seg = await app.inject(index.segments[0]!.url);
  assert.equal(seg.statusCode, 200);
  const body = seg.json() as { snapshot: { init: string }; events: [number, string, string][] };
  assert.equal(body.events.length, 40, 'output only: input is not sent to the player');
  assert.ok(body.events.every(([, type]) => type === 'o'));
  assert.equal((await app.inject(`/sessions/${KEY}/recordings/1/segments/1`)).statusCode, 404);
  assert.equal(views.length, 1, 'the index and the segment of one viewing: one event');
  await app.inject({ url: `/sessions/${KEY}/recordings/1/replay`, headers: { 'x-login': 'b' } });
  assert.equal(views.length, 2, 'another console login: its own event');
  assert.match((await typed(channel))!, /cmd0\r.*cmd30\r/s);
  for (let i = 0; i < 50 && !existsSync(join(dir, 'keyframes', `${SHA}.json`)); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(join(dir, 'keyframes', `${SHA}.json`)), 'the index is kept by sha256');
  assert.deepEqual((await app.inject(`/sessions/${KEY}/recordings/1/replay-status`)).json(), { scanned: true, segments: 1, built: 1, done: true });
  await app.close();
});

test('replay routes: malformed keys, channels and segments are 404 and no event; a view that cannot be audited shows nothing', async () => {
  const dir = tempDir('fumidai-replay-');
  const channel: ChannelRecord = { auditKey: KEY, channel: 1, kind: 'shell', recordingPath: castFile(dir), startedAt: '', bytesIn: 0, bytesOut: 0, state: 'sealed' };
  let views = 0;
  const { app } = await appWith(channel, async () => void views++);
  for (const url of [`/sessions/..%2F/recordings/1/replay`, `/sessions/${KEY}/recordings/2/replay`, `/sessions/${KEY}/recordings/x/segments/0`, `/sessions/${KEY}/recordings/1/segments/-1`, `/sessions/${KEY}/recordings/1/segments/99`]) {
    assert.equal((await app.inject(url)).statusCode, 404, url);
  }
  assert.equal(views, 0);
  await app.close();
  const refused = await appWith(channel, async () => Promise.reject(new Error('disk full')));
  for (const url of [`/sessions/${KEY}/recordings/1/replay`, `/sessions/${KEY}/recordings/1/segments/0`]) {
    const r = await refused.app.inject(url);
    assert.equal(r.statusCode, 500, url);
    assert.doesNotMatch(r.body, /line \d/, url);
  }
  await refused.app.close();
});
