import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { ChannelRecord, SessionRecord } from '../store/store.js';
import { sessionRoutes } from './session-routes.js';

const KEY = '20261205T154100Z-alice-0a1b2c3d4e';

async function appWith(recordingPath: string, record: () => Promise<void>) {
  const session: SessionRecord = { auditKey: KEY, user: 'alice', sourceIp: '127.0.0.1', sourcePort: 5, startedAt: '2026-12-05T15:41:00Z', state: 'closed' };
  const channel: ChannelRecord = { auditKey: KEY, channel: 1, kind: 'shell', recordingPath, startedAt: session.startedAt, bytesIn: 1, bytesOut: 2, state: 'sealed' };
  const app = Fastify();
  app.addHook('onRequest', async (req) => {
    req.consoleSession = { name: 'ann', role: 'auditor', lastSeen: 0 };
  });
  sessionRoutes(app, {
    index: { getSession: async (k) => (k === KEY ? session : undefined), channelsOf: async (k) => (k === KEY ? [channel] : []), fileOpsOf: async () => [] },
    audit: { record },
  });
  await app.ready();
  return app;
}

test('session routes fail closed: a view that cannot be audited shows nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-routes-'));
  try {
    const cast = join(dir, '1.cast');
    writeFileSync(cast, '{"version":2,"width":80,"height":24}\n[0.1,"o","secret-screen"]\n');
    const app = await appWith(cast, async () => Promise.reject(Object.assign(new Error('disk full'), { code: 'ENOSPC' })));
    for (const url of [`/api/sessions/${KEY}`, `/sessions/${KEY}/recordings/1`]) {
      const r = await app.inject(url);
      assert.equal(r.statusCode, 500, url);
      assert.doesNotMatch(r.body, /secret-screen|alice/, url);
    }
    await app.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('session routes: the recording streamed when audited; a file gone from this node is 404 and no view', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-routes-'));
  try {
    const cast = join(dir, '1.cast');
    writeFileSync(cast, '{"version":2,"width":80,"height":24}\n[0.1,"o","screen"]\n');
    let views = 0;
    const ok = await appWith(cast, async () => void views++);
    const r = await ok.inject(`/sessions/${KEY}/recordings/1`);
    assert.equal(r.statusCode, 200);
    assert.match(r.headers['content-type'] as string, /^text\/plain/);
    assert.match(r.body, /"screen"/);
    assert.equal(views, 1);
    await ok.close();
    const gone = await appWith(join(dir, 'pruned.cast'), async () => void views++);
    assert.equal((await gone.inject(`/sessions/${KEY}/recordings/1`)).statusCode, 404);
    assert.equal(views, 1);
    await gone.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
