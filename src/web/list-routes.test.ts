import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Fastify from 'fastify';
import { seededSessions, seedSqlite } from '../../test/helpers/seed-sessions.js';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { listRoutes } from './list-routes.js';

test('list routes: the filter form echoes its values escaped; next page links keep the filters; the API pages by cursor; bad values 400', async () => {
  const file = join(tempDir('fumidai-list-routes-'), 'store.db');
  await new SqliteStore(file).close();
  const all = seededSessions(300);
  seedSqlite(file, all);
  const store = new SqliteStore(file);
  const app = Fastify();
  app.decorateReply('generateCsrf', () => 'token');
  app.addHook('onRequest', async (req) => {
    req.consoleSession = { name: 'ann', role: 'auditor', lastSeen: 0 };
  });
  listRoutes(app, { index: store });
  await app.ready();
  try {
    const want = all.filter((s) => s.user === 'user3').sort((a, b) => Number(b.state === 'live') - Number(a.state === 'live') || b.startedAt.localeCompare(a.startedAt) || b.auditKey.localeCompare(a.auditKey));
    const seen: string[] = [];
    let url = '/sessions?user=user3&limit=10&target=%22%3E%3Cscript%3E';
    const page = await app.inject(url);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /value="&quot;&gt;&lt;script&gt;"/, 'a value is echoed escaped');
    assert.doesNotMatch(page.body, /"><script>/);
    url = '/sessions?user=user3&limit=10&kind=';
    for (let n = 0; url && n < 20; n++) {
      const r = await app.inject(url);
      assert.match(r.body, /<input name="user" type="text" value="user3">/);
      seen.push(...[...r.body.matchAll(/<a href="\/sessions\/([^"]+)">/g)].map((m) => decodeURIComponent(m[1]!)));
      url = /<a class="next" href="([^"]+)">/.exec(r.body)?.[1]?.replaceAll('&amp;', '&') ?? '';
    }
    assert.deepEqual(seen, want.map((s) => s.auditKey));
    const api = (await app.inject('/api/sessions?state=live&limit=2')).json() as { sessions: { state: string; kind: string }[]; next: string };
    assert.equal(api.sessions.length, 2);
    assert.ok(api.sessions.every((s) => s.state === 'live'));
    const rest = (await app.inject(`/api/sessions?state=live&limit=2&after=${api.next}`)).json() as { sessions: unknown[]; next: string | null };
    assert.equal(rest.sessions.length, 2);
    assert.equal(rest.next, null, '4 live sessions in 300: two pages');
    for (const bad of ['/api/sessions?kind=scp', '/api/sessions?limit=0', '/sessions?from=soon']) assert.equal((await app.inject(bad)).statusCode, 400, bad);
    assert.equal(((await app.inject('/api/sessions?limit=99999')).json() as { sessions: unknown[] }).sessions.length, 300, 'capped at 1000, all 300 here');
  } finally {
    await app.close();
    await store.close();
  }
});
