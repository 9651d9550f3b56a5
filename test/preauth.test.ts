// Before login: silent clients, startup limits, bans at accept, and refusals audited in aggregate. A flood of raw TCP
// sockets against fumidai started with a lowered file limit, and a real OpenSSH login through it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { keygen, LOGIN, type Target } from './helpers/sshd.js';
import { destroyAll, openRawClients, waitClosed, type RawClient } from './helpers/silent.js';

/** Every audit event in the node's trail (checkpoints left out). */
function trail(b: Bastion): Record<string, unknown>[] {
  const root = join(b.data, 'audit');
  return readdirSync(root)
    .filter((d) => !d.endsWith('-admin'))
    .flatMap((d) => readdirSync(join(root, d)).filter((f) => f.endsWith('.jsonl')).map((f) => readFileSync(join(root, d, f), 'utf8')))
    .flatMap((text) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>))
    .filter((e) => e.eventName);
}

/** Refusals in the trail from the given addresses: lines written, and refusals they stand for. */
function refusals(b: Bastion, from: string[]): { lines: number; refused: number } {
  const mine = trail(b).filter((e) => from.includes(String(e.sourceIp)) && (e.eventName === 'ConnectionRefused' || e.eventName === 'ConnectionsRefused'));
  const refused = mine.reduce((n, e) => n + (e.eventName === 'ConnectionRefused' ? 1 : Number((e.details as { count: number }).count)), 0);
  return { lines: mine.length, refused };
}

const SUMMARY_SEC = 3;

describe('before login: a flood of silent sockets under a lowered file limit', () => {
  const bastion = new Bastion();
  let web1: Target;
  let cfg: string;
  let flood: RawClient[] = [];
  const flooders = ['127.0.0.10', '127.0.0.11', '127.0.0.12', '127.0.0.13', '127.0.0.14'];

  before(async () => {
    // 10 per address: the five flooding addresses then hold half of auth.maxStartups, and a real user gets in.
    await bastion.init({ 'perSourceMaxStartups: 30': 'perSourceMaxStartups: 10', 'versionTimeout: 10': 'versionTimeout: 2', 'refusalSummaryInterval: 60': `refusalSummaryInterval: ${SUMMARY_SEC}`, 'banAfter: 20': 'banAfter: 3' });
    web1 = await bastion.addTarget('web1');
    const key = await bastion.addUser('alice');
    await bastion.cli(['grant', 'alice', 'web1']);
    await bastion.start([], ['prlimit', '--nofile=256:256', '--']);
    cfg = bastion.sshConfig('alice', key, { web1: LOGIN }, ['BindAddress 127.0.0.2']);
  });
  after(async () => {
    destroyAll(flood);
    await bastion.stop();
    await web1?.stop();
  });

  test('2,000 silent sockets: a real login still succeeds; the silent ones are closed after the version timeout; refusals in aggregate', async () => {
    const started = Date.now();
    flood = await openRawClients(bastion.port, 2000, flooders);
    try {
      await floodChecks(started);
    } finally {
      destroyAll(flood); // whatever happened, the next test starts without them
    }
  });

  const floodChecks = async (started: number) => {
    const opened = flood.filter((c) => c.connectedAt !== undefined);
    assert.equal(opened.length, 2000, 'every socket was accepted (none left waiting in the backlog)');
    const t0 = Date.now();
    const r = await ssh(cfg, ['-l', 'web1', 'bastion', 'echo in'], { timeoutMs: 20_000 });
    const loginMs = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'in\n');
    const held = flood.filter((c) => c.closedAt === undefined || c.closedAt - c.connectedAt! >= 1500);
    assert.ok(held.length <= flooders.length * 10, `at most auth.perSourceMaxStartups per address held (${held.length})`);
    assert.equal(await waitClosed(flood, 8000), 0, 'every silent socket closed by the server');
    const lasted = held.map((c) => c.closedAt! - c.connectedAt!);
    assert.ok(lasted.every((ms) => ms >= 1500 && ms < 6000), `held ones closed after about 2 s: ${Math.min(...lasted)}..${Math.max(...lasted)} ms`);
    // Every socket was refused or timed out, once each; written as a handful of lines, summaries carrying the rest.
    await new Promise((res) => setTimeout(res, (SUMMARY_SEC + 1) * 1000));
    const { lines, refused } = refusals(bastion, flooders);
    assert.equal(refused, 2000, 'every refusal counted');
    const intervals = Math.ceil((Date.now() - started) / (SUMMARY_SEC * 1000)) + 1;
    assert.ok(lines <= flooders.length * 2 * intervals, `${lines} audit lines for 2,000 refusals`);
    assert.equal(bastion.events('ListenerError').length, 0, 'never out of file descriptors');
    console.log(`# login during the flood: ${loginMs} ms; ${lines} audit lines for 2,000 refusals`);
  };

  test('a banned address: 100 connections, closed at accept, cost O(1) audit lines', async () => {
    const { priv } = await keygen(join(bastion.dir, 'stranger'));
    const attacker = bastion.sshConfig('alice', priv, {}, ['BindAddress 127.0.0.3']);
    for (let i = 0; i < 3; i++) await ssh(attacker, ['-l', 'web1', 'bastion', 'true']);
    assert.equal((await bastion.waitForEvents('SourceBanned', 1)).length, 1);
    const before = refusals(bastion, ['127.0.0.3']);
    // Each one says its version line, as a real client would: it is refused before ssh2 reads it.
    const clients = await openRawClients(bastion.port, 100, ['127.0.0.3'], { batch: 20, say: 'SSH-2.0-OpenSSH_9.2\r\n' });
    assert.equal(await waitClosed(clients, 3000), 0, 'all closed at once');
    await new Promise((res) => setTimeout(res, (SUMMARY_SEC + 1) * 1000));
    const now = refusals(bastion, ['127.0.0.3']);
    assert.equal(now.refused - before.refused, 100, 'all 100 counted');
    assert.ok(now.lines - before.lines <= 4, `${now.lines - before.lines} audit lines for 100 refusals`);
    assert.ok(trail(bastion).some((e) => e.eventName === 'ConnectionRefused' && e.sourceIp === '127.0.0.3' && /^source address banned for \d+s more$/.test(String(e.reason))));
  });
});
