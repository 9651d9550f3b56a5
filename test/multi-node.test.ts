// Two fumidai nodes sharing one PostgreSQL store, as behind a load balancer: what is added through one node's CLI
// works on the other, both nodes' sessions are in one index, and removing a user or killing a session through one node
// ends the live session on the other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';
import { run } from './helpers/proc.js';

const totp = async (secret: string) => (await run('oathtool', ['--totp', '-b', secret])).stdout.trim();
/** Waits until the current 30 s step has at least `need` seconds left, so a code computed now stays valid. */
const freshStep = async (need = 12) => {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < need) await new Promise((r) => setTimeout(r, left * 1000 + 200));
};
import { LOGIN, type Target } from './helpers/sshd.js';

describe('several nodes on PostgreSQL', () => {
  const a = new Bastion();
  const b = new Bastion();
  let pg: Postgres;
  let web1: Target;
  let aliceKey: string;
  const cfg = (node: Bastion) => node.sshConfig('alice', aliceKey, { web1: LOGIN });

  before(async () => {
    pg = await startPostgres();
    const url = await pg.newDatabase('fumidai');
    const edits = (node: string) => ({
      '# url: postgres://fumidai@db.internal:5432/fumidai': `url: ${url}`,
      '  dir: audit\n': `  dir: audit\n  node: ${node}\n`,
      'banAfter: 20': 'banAfter: 3',
      'lockAfter: 10': 'lockAfter: 3',
    });
    await a.init(edits('node-a'));
    // The second node joins the first: its config (store.url) and the keys all nodes share, its own node name.
    await b.init({}, ['--join', a.data, '--node', 'node-b']);
    web1 = await a.addTarget('web1');
    aliceKey = await a.addUser('alice');
    await b.cli(['grant', 'alice', 'web1']); // through the other node's CLI: one store
    await a.start();
    await b.start();
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await web1?.stop();
    await pg?.stop();
  });

  test('init --join: the config and the shared keys (host, upstream, MFA, audit signing) come from the first node, the name does not', async () => {
    for (const f of ['host_ed25519_key', 'host_ed25519_key.pub', 'host_ecdsa_key', 'host_ecdsa_key.pub', 'upstream_ed25519_key', 'upstream_ed25519_key.pub', 'mfa.key', 'audit_ed25519_key', 'audit_ed25519_key.pub'])
      assert.deepEqual(readFileSync(join(b.data, f)), readFileSync(join(a.data, f)), f);
    // One fingerprint for the auditors: both nodes' chains verify against node A's key.
    const fingerprint = (await a.cli(['audit', 'key'])).stdout.split('\n')[0]!;
    assert.match((await b.cli(['audit', 'verify', '--no-recordings', '--fingerprint', fingerprint])).stdout, /node-b-admin: OK/);
    const config = readFileSync(join(b.data, 'fumidai.yaml'), 'utf8');
    assert.match(config, /^ {2}url: postgres:\/\/fumidai@127\.0\.0\.1:\d+\/fumidai$/m);
    assert.match(config, /^ {2}node: node-b$/m);
    assert.match(config, /^# fumidai configuration/, 'comments kept');
    const same = await new Bastion().cli(['init', '--join', a.data, '--node', 'node-a', '--data', join(b.dir, 'third')], true);
    assert.match(same.stderr, /the node joined is named 'node-a' already: give this one --node NAME \(ARGUMENT_INVALID\)/);
  });

  test('a user added through one node logs in through either; one session index', async () => {
    for (const node of [a, b]) {
      const r = await ssh(cfg(node), ['web1', 'echo via-$((6*7))']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'via-42\n');
    }
    const sessions = (await b.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { user: string; state: string });
    assert.equal(sessions.length, 2);
    assert.ok(sessions.every((s) => s.user === 'alice' && s.state === 'closed'));
  });

  test('a kill through node A ends a session on node B; removing the user through A ends her session on B', async () => {
    const killed = ssh(cfg(b), ['web1', 'echo started; sleep 30'], { timeoutMs: 30_000 });
    const [opened] = await b.waitForEvents('ChannelOpen', 1, (e) => String(e.command).startsWith('echo started'));
    await a.cli(['sessions', 'kill', String(opened!.sessionId), '--reason', 'seen from node A']);
    const k = await killed;
    assert.equal(k.code, 255);
    assert.match(k.stderr, /an administrator ended this session: seen from node A \(ACCESS_REVOKED\)/);

    const live = ssh(cfg(b), ['web1', 'echo started-again; sleep 30'], { timeoutMs: 30_000 });
    await b.waitForEvents('ChannelOpen', 1, (e) => String(e.command).startsWith('echo started-again'));
    const removedAt = Date.now();
    await a.cli(['user', 'remove', 'alice']);
    const r = await live;
    assert.equal(r.code, 255);
    assert.match(r.stderr, /access revoked: .*alice.* \(ACCESS_REVOKED\)|access revoked: the key \S+ was removed/);
    assert.ok(Date.now() - removedAt < 5000, `ended ${Date.now() - removedAt} ms after the removal`);
    console.log(`# the session on node B ended ${Date.now() - removedAt} ms after 'user remove' started on node A`);
    assert.equal((await ssh(cfg(a), ['web1', 'true'])).code, 255, 'and she is refused on both');
  });

  test('a user locked by failures on one node is locked on the other; an unlock through either frees her', async () => {
    const key = await a.addUser('dave');
    await a.cli(['grant', 'dave', 'web1']);
    const secret = /secret=([A-Z2-7]+)/.exec((await a.cli(['mfa', 'enroll', 'dave', '--no-qr'])).stdout)![1]!;
    const login = (node: Bastion, code: string, from: string) =>
      run('sshpass', ['-P', 'Verification code', '-p', code, 'ssh', '-F', node.sshConfig('dave', key, {}, ['BatchMode no', 'LogLevel INFO', 'NumberOfPasswordPrompts 1', `BindAddress ${from}`]), '-l', 'web1', 'bastion', 'echo in'], { timeoutMs: 30_000 });
    for (let i = 0; i < 3; i++) assert.notEqual((await login(a, '000000', '127.0.0.3')).code, 0);
    await freshStep();
    let r = await login(b, await totp(secret), '127.0.0.4');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /fumidai: user 'dave' is locked until \S+ after repeated failures; an admin can run 'fumidai user unlock dave' \(USER_LOCKED\)/);
    await b.cli(['user', 'unlock', 'dave']);
    await freshStep();
    r = await login(b, await totp(secret), '127.0.0.4'); // a seed sealed through node A opens on node B: one MFA key
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'in\n');
  });

  test('an address banned by one node is refused by the other within seconds; other addresses still get in', async () => {
    const { keygen } = await import('./helpers/sshd.js');
    const { priv } = await keygen(join(a.dir, 'attacker'));
    const attacker = (node: Bastion) => node.sshConfig('mallory', priv, {}, ['BindAddress 127.0.0.2']);
    for (let i = 0; i < 3; i++) await ssh(attacker(a), ['-l', 'web1', 'bastion', 'true']);
    assert.equal((await a.waitForEvents('SourceBanned', 1, (e) => e.sourceIp === '127.0.0.2')).length, 1, 'node A bans the address');
    // Node B polls the shared bans every 2 s; then the address is refused at connection, before any failure on B.
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal((await ssh(attacker(b), ['-l', 'web1', 'bastion', 'true'])).code, 255);
    assert.equal((await b.waitForEvents('ConnectionRefused', 1, (e) => e.sourceIp === '127.0.0.2')).length, 1, 'node B refuses it');
    assert.equal(b.events('SourceBanned').filter((e) => e.sourceIp === '127.0.0.2').length, 0);
    await a.addUser('carol');
    await a.cli(['grant', 'carol', 'web1']);
    const ok = await ssh(b.sshConfig('carol', join(a.dir, 'carol_key'), { web1: LOGIN }), ['web1', 'echo still-in']);
    assert.equal(ok.stdout, 'still-in\n', ok.stderr);
  });

  test('a flood spread over both nodes counts once: banAfter failures in all ban the address', async () => {
    const { keygen } = await import('./helpers/sshd.js');
    const { priv } = await keygen(join(a.dir, 'spreader'));
    const from = (node: Bastion) => node.sshConfig('mallory', priv, {}, ['BindAddress 127.0.0.5']);
    await ssh(from(a), ['-l', 'web1', 'bastion', 'true']);
    await ssh(from(b), ['-l', 'web1', 'bastion', 'true']);
    await ssh(from(a), ['-l', 'web1', 'bastion', 'true']);
    assert.equal((await a.waitForEvents('SourceBanned', 1, (e) => e.sourceIp === '127.0.0.5')).length, 1, 'the third failure in all, on node A, bans');
    assert.equal(b.events('SourceBanned').filter((e) => e.sourceIp === '127.0.0.5').length, 0);
  });
});
