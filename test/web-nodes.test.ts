// Console sessions shared by two nodes on one PostgreSQL store, as behind a load balancer: a cookie made by node A
// works on node B, a login's second step may land on the other node, a logout on A ends the session on B, and an idle
// session ends everywhere.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion } from './helpers/fumidai.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';
import { stopChild } from './helpers/proc.js';
import { type Answer, consoleBase, fetchPinned, freshStep, totp } from './helpers/web-console.js';

describe('console sessions across nodes (PostgreSQL)', () => {
  const a = new Bastion();
  const b = new Bastion();
  let pg: Postgres;
  const node = { a: { base: '', ca: Buffer.alloc(0) }, b: { base: '', ca: Buffer.alloc(0) } };
  const PASSWORD = 'correct horse battery staple';
  const IDLE_SEC = 6;
  let secret = '';

  const on = (n: 'a' | 'b', path: string, opts: Parameters<typeof fetchPinned>[3] = {}) => fetchPinned(node[n].base, node[n].ca, path, opts);
  const cookiesOf = (x: Answer) => ((x.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).filter((c) => !c.endsWith('=')).join('; ');
  const csrfOf = (x: Answer) => /name="_csrf" value="([^"]+)"/.exec(x.body)![1]!;
  /** Password on node A; the session cookie (and the CSRF cookie) when no second step is due, else the code step. */
  const passwordOnA = async (name: string) => {
    const form = await on('a', '/login');
    const r = await on('a', '/login', { method: 'POST', cookie: cookiesOf(form), form: { name, password: PASSWORD, _csrf: csrfOf(form) } });
    return { r, cookie: `${cookiesOf(form)}; ${cookiesOf(r)}` };
  };

  before(async () => {
    pg = await startPostgres();
    const url = await pg.newDatabase('fumidai');
    await a.init({
      '# url: postgres://fumidai@db.internal:5432/fumidai': `url: ${url}`,
      '  dir: audit\n': '  dir: audit\n  node: node-a\n',
      '  # key: web.key\n': `  # key: web.key\n  idleMinutes: ${IDLE_SEC / 60}\n`,
    });
    await b.init({}, ['--join', a.data, '--node', 'node-b']);
    a.webListen = b.webListen = '127.0.0.1:0';
    const pwFile = join(a.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    await a.cli(['web', 'user', 'add', 'ann', '--role', 'auditor', '--password-file', pwFile]);
    secret = /secret=([A-Z2-7]+)/.exec((await a.cli(['web', 'user', 'add', 'tom', '--role', 'admin', '--password-file', pwFile, '--totp'])).stdout)![1]!;
    await a.start();
    await b.start();
    for (const [n, bastion] of [['a', a], ['b', b]] as const) node[n] = { base: await consoleBase(bastion), ca: readFileSync(join(bastion.data, 'web.crt')) };
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await pg?.stop();
  });

  test('a cookie from node A works on node B; a logout on A ends it on B', async () => {
    const { r, cookie } = await passwordOnA('ann');
    assert.equal(r.status, 303);
    assert.equal((await on('b', '/api/sessions', { cookie })).status, 200, 'node B knows the session');
    const page = await on('b', '/sessions', { cookie });
    assert.equal(page.status, 200);
    assert.match(page.body, /ann \(auditor\)/);
    const out = await on('a', '/logout', { method: 'POST', cookie, form: { _csrf: csrfOf(page) } });
    assert.equal(out.status, 303);
    assert.equal((await on('b', '/api/sessions', { cookie })).status, 401, 'ended on B too');
    assert.equal((await on('a', '/api/sessions', { cookie })).status, 401);
  });

  test('the password on node A, the TOTP code on node B: one login', async () => {
    await freshStep();
    const { r, cookie } = await passwordOnA('tom');
    assert.equal(r.status, 200);
    assert.match(r.body, /Verification code/);
    const done = await on('b', '/login/totp', { method: 'POST', cookie, form: { code: await totp(secret), _csrf: csrfOf(r) } });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/sessions');
    assert.equal((await on('a', '/api/sessions', { cookie: `${cookie}; ${cookiesOf(done)}` })).status, 200);
  });

  test(`a session idle for longer than web.idleMinutes (${IDLE_SEC} s here) ends on every node`, async () => {
    const { cookie } = await passwordOnA('ann');
    assert.equal((await on('b', '/api/sessions', { cookie })).status, 200);
    await new Promise((r) => setTimeout(r, (IDLE_SEC - 3) * 1000));
    assert.equal((await on('a', '/api/sessions', { cookie })).status, 200, 'a request resets the idle clock');
    await new Promise((r) => setTimeout(r, (IDLE_SEC + 1) * 1000));
    assert.equal((await on('b', '/api/sessions', { cookie })).status, 401);
    assert.equal((await on('a', '/api/sessions', { cookie })).status, 401);
  });

  test('a restart of the node that made a session keeps it', async () => {
    const { cookie } = await passwordOnA('ann');
    await stopChild(a.process!);
    await a.start();
    const portsNow = () => [...a.log.matchAll(/web console on https:\/\/127\.0\.0\.1:(\d+)/g)];
    for (let i = 0; i < 50 && portsNow().length < 2; i++) await new Promise((r) => setTimeout(r, 100)); // the line may follow "listening"
    const ports = portsNow();
    assert.equal(ports.length, 2);
    node.a.base = `https://127.0.0.1:${ports.at(-1)![1]}`; // the restarted process's own line
    assert.equal((await on('a', '/api/sessions', { cookie })).status, 200);
  });
});
