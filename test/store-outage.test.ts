// The shared PostgreSQL store goes away while fumidai serves: new logins are refused with one line (nobody gets in
// unchecked), open sessions go on, the process keeps running, and when the database is back, logins work again and
// what happened meanwhile reaches the session index, without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Bastion, ssh } from './helpers/fumidai.js';
import { startPostgres, type Postgres } from './helpers/postgres.js';
import type { Target } from './helpers/sshd.js';

describe('store outage', () => {
  const b = new Bastion();
  let pg: Postgres;
  let web1: Target;
  let cfg: string;

  before(async () => {
    pg = await startPostgres();
    const url = await pg.newDatabase('fumidai');
    await b.init({ '# url: postgres://fumidai@db.internal:5432/fumidai': `url: ${url}` });
    ({ target: web1, cfg } = await b.startWith('alice', 'web1'));
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
    await pg?.stop();
  });

  test('logins are refused with one line while PostgreSQL is down, and work again when it is back', async () => {
    assert.equal((await ssh(cfg, ['web1', 'echo before'])).stdout, 'before\n');
    const live = ssh(cfg, ['web1', 'echo started; sleep 4; echo still-here'], { timeoutMs: 30_000 });
    const [opened] = await b.waitForEvents('ChannelOpen', 1, (e) => String(e.command).startsWith('echo started'));
    // The channel is in the index (its recording started) before the database goes: a channel opening at that very
    // moment is refused, which is not what this test is about.
    const indexed = async () => (JSON.parse((await b.cli(['sessions', 'show', String(opened!.sessionId), '--json'])).stdout) as { channels: unknown[] }).channels.length;
    for (const deadline = Date.now() + 10_000; (await indexed()) === 0; await new Promise((r) => setTimeout(r, 100))) assert.ok(Date.now() < deadline, 'the channel never reached the index');
    await pg.halt();
    try {
      // Through -J and with the target in the user name; at OpenSSH's default log level the client shows the banner.
      const viaJump = await ssh(cfg, ['web1', 'echo during'], { timeoutMs: 30_000 });
      assert.equal(viaJump.code, 255);
      assert.equal(viaJump.stdout, '');
      const direct = await ssh(cfg, ['-o', 'LogLevel=INFO', '-l', 'web1', 'bastion', 'echo during'], { timeoutMs: 30_000 });
      assert.equal(direct.code, 255);
      assert.equal(direct.stdout, '');
      const lines = direct.stderr.trim().split(/\r?\n/).filter((l) => !l.startsWith('Warning: Permanently added'));
      assert.deepEqual(lines, [
        'fumidai: logins are paused: the bastion cannot reach its store to check them; try again in a minute (LOGIN_UNAVAILABLE)',
        'web1@127.0.0.1: Permission denied (publickey).',
      ]);
      const failures = await b.waitForEvents('AuthFailure', 2, (e) => String(e.reason).startsWith('store unavailable: '));
      assert.equal(failures.length, 2, 'each refused attempt is an event with its reason');
      assert.ok(failures.every((e) => e.sshUser), 'with the name the client gave');
      // A session that was open goes on: its relay and recording do not need the store until it ends.
      const l = await live;
      assert.equal(l.code, 0, l.stderr);
      assert.equal(l.stdout, 'started\nstill-here\n');
      assert.equal(b.process?.exitCode, null, 'fumidai is still running');
    } finally {
      await pg.resume();
    }
    const back = await ssh(cfg, ['web1', 'echo after'], { timeoutMs: 30_000 });
    assert.equal(back.stdout, 'after\n', back.stderr);
    // The session that ended during the outage reaches the index once the store is back: closed, its channel sealed
    // with the digest of the file on disk.
    const key = String(opened!.sessionId);
    let shown = '';
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      shown = (await b.cli(['sessions', 'show', key, '--json'])).stdout;
      if ((JSON.parse(shown) as { session: { state: string } }).session.state === 'closed') break;
    }
    const { session, channels } = JSON.parse(shown) as { session: { state: string; exitStatus: number }; channels: { state: string; sha256: string; recordingPath: string }[] };
    assert.equal(session.state, 'closed', shown);
    assert.equal(session.exitStatus, 0);
    const [channel] = channels;
    assert.equal(channel!.state, 'sealed');
    assert.equal(channel!.sha256, createHash('sha256').update(readFileSync(channel!.recordingPath)).digest('hex'));
    assert.ok(b.log.includes('the session index caught up'));
    assert.equal(b.log.split('live session check failed').length - 1, 1, 'the failing check is logged once, not every tick');
  });
});
