// Who may enter the console, through the real CLI and server: API bearer tokens (created, used, listed, revoked,
// expired; never for a page) and per-address bans of console logins (429 before the password is checked).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Bastion, ssh } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';
import { type Answer, consoleBase, fetchPinned as fetchFrom, readTrail } from './helpers/web-console.js';

describe('console tokens and bans', () => {
  const bastion = new Bastion();
  let target: Target;
  let cfg = '';
  let base = '';
  let ca: Buffer;
  const PASSWORD = 'correct horse battery staple';

  const fetchPinned = (path: string, opts: Parameters<typeof fetchFrom>[3] = {}) => fetchFrom(base, ca, path, opts);
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const cookiesOf = (a: Answer) => ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');
  const login = async (name: string, password: string) => {
    const form = await fetchPinned('/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    return fetchPinned('/login', { method: 'POST', cookie: cookiesOf(form), form: { name, password, _csrf: csrf } });
  };
  const createToken = async (name: string, args: string[] = []) => (await bastion.cli(['web', 'token', 'create', name, '--role', 'auditor', ...args])).stdout.trim();

  before(async () => {
    await bastion.init({ 'banAfter: 20': 'banAfter: 3' });
    bastion.webListen = '127.0.0.1:0';
    const started = await bastion.startWith('alice', 'web1');
    target = started.target;
    cfg = started.cfg;
    assert.equal((await ssh(cfg, ['web1', 'echo token-marker'])).stdout, 'token-marker\n');
    base = await consoleBase(bastion);
    ca = readFileSync(join(bastion.data, 'web.crt'));
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    await bastion.cli(['web', 'user', 'add', 'ann', '--role', 'auditor', '--password-file', pwFile]);
  });
  after(async () => {
    await bastion.stop();
    await target?.stop();
  });

  test('a token is printed once (fmd_ + 32 random bytes), answers for /api/*, names the events, and shows in the list without its secret', async () => {
    const token = await createToken('ci-reader');
    assert.match(token, /^fmd_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(await createToken('ci-other'), token);
    const list = await fetchPinned('/api/sessions', bearer(token));
    assert.equal(list.status, 200);
    const sessions = (JSON.parse(list.body) as { sessions: { auditKey: string; what: string }[] }).sessions;
    const s = sessions.find((x) => x.what === 'exec: echo token-marker')!;
    assert.ok(s, list.body);
    assert.equal((await fetchPinned(`/api/sessions/${s.auditKey}`, bearer(token))).status, 200);
    const viewed = readTrail(bastion.data).split('\n').find((l) => l.includes('"RecordingViewed"') && l.includes(s.auditKey));
    assert.match(viewed!, /"user":"ci-reader"/, 'the token name is the user of the events');
    const out = (await bastion.cli(['web', 'token', 'list'])).stdout;
    assert.match(out, /ci-reader\s+auditor\s+active\s+\S+\s+never\s+20\d\d-/, out);
    assert.doesNotMatch(out, new RegExp(token.slice(4, 20)));
    const db = new Database(join(bastion.data, 'fumidai.db'), { readonly: true });
    const stored = JSON.stringify(db.prepare('SELECT * FROM web_tokens').all());
    db.close();
    assert.ok(!stored.includes(token.slice(4)), 'the store keeps a hash only');
    assert.match(readTrail(bastion.data), /"eventName":"AdminChange".*"web token create ci-reader --role auditor"/);
  });

  test('no page accepts a token; a wrong, malformed, revoked or expired token is 401 with its reason', async () => {
    const token = await createToken('ci-page');
    const page = await fetchPinned('/sessions', bearer(token));
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, '/login');
    const unknown = await fetchPinned('/api/sessions', bearer(`fmd_${'A'.repeat(43)}`));
    assert.deepEqual([unknown.status, JSON.parse(unknown.body)], [401, { error: 'unknown token' }]);
    const malformed = await fetchPinned('/api/sessions', bearer('not-a-token'));
    assert.equal(malformed.status, 401);
    assert.match(JSON.parse(malformed.body).error, /malformed Authorization header/);
    await bastion.cli(['web', 'token', 'revoke', 'ci-page']);
    const revoked = await fetchPinned('/api/sessions', bearer(token));
    assert.deepEqual([revoked.status, JSON.parse(revoked.body)], [401, { error: "token 'ci-page' is revoked" }]);
    assert.equal((await bastion.cli(['web', 'token', 'revoke', 'ci-page'], true)).code, 1, 'revoked already');
    const late = await createToken('ci-late', ['--expires', '1m']);
    assert.equal((await fetchPinned('/api/sessions', bearer(late))).status, 200);
    const db = new Database(join(bastion.data, 'fumidai.db'));
    db.prepare("UPDATE web_tokens SET expires_at = '2026-01-01T00:00:00.000Z' WHERE name = 'ci-late'").run(); // a minute later
    db.close();
    const expired = await fetchPinned('/api/sessions', bearer(late));
    assert.deepEqual([expired.status, JSON.parse(expired.body)], [401, { error: "token 'ci-late' expired at 2026-01-01T00:00:00.000Z" }]);
    assert.match((await bastion.cli(['web', 'token', 'create', 'x', '--role', 'auditor', '--expires', 'soon'], true)).stderr, /--expires must be a duration/);
  });

  test('failed console logins from one address ban it: 429 before the password is checked, an event in the trail; SSH is counted apart', async () => {
    for (const name of ['nobody1', 'nobody2', 'ann']) assert.equal((await login(name, 'wrong password!')).status, 401);
    const refused = await login('ann', PASSWORD);
    assert.equal(refused.status, 429);
    assert.match(refused.body, /^too many failed logins from this address; try again in \d+ s\n$/);
    const trail = readTrail(bastion.data);
    assert.match(trail, /"eventCode":"FM5020W","eventName":"WebAddressBanned","sourceIp":"127\.0\.0\.1"/);
    assert.doesNotMatch(trail, /"eventCode":"FM5000I","eventName":"WebLogin","user":"ann"/, 'the right password did not log in');
    assert.equal((await ssh(cfg, ['web1', 'echo still-open'])).stdout, 'still-open\n');
  });
});
