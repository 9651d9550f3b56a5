// The post-quantum hybrid key exchange (mlkem768x25519-sha256) on every hop fumidai has: the client's connection to
// the front door, the ProxyJump inner connection, and fumidai's connection to the target. Against OpenSSH 10 (the
// independent implementation), and between ssh2 peers carrying fumidai's patch where no OpenSSH 10 is at hand.
import { hybridKexApplied } from '../src/ssh/hybrid-kex.js'; // first: ssh2 must load after the patch
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import ssh2, { type ClientChannel, type Connection } from 'ssh2';
import { Bastion, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, startTarget, type Target } from './helpers/sshd.js';
import { opensshPq, opensshPqSkip } from './helpers/openssh-pq.js';
import { readableKeyPair } from './helpers/ssh-keys.js';

const PQ = 'mlkem768x25519-sha256';
const negotiated = (verbose: string) => [...verbose.matchAll(/kex: algorithm: (\S+)/g)].map((m) => m[1]);

describe('post-quantum key exchange with OpenSSH 10', { skip: opensshPqSkip() }, () => {
  const bastion = new Bastion();
  const targets: Target[] = [];
  let cfg: string;
  let path: string;

  before(async () => {
    const pq = opensshPq();
    assert.ok(pq, 'OpenSSH 10 from bookworm-backports is unpacked in /opt/openssh-pq by .ci/run');
    path = `${pq.bin}:${process.env.PATH}`;
    await bastion.init();
    const key = await bastion.addUser('alice');
    // A target that accepts nothing but the hybrid, so fumidai's own client must speak it.
    const pqTarget = await startTarget({ authorizedKeys: await bastion.upstreamPublicKey(), sshd: pq.sshd, extraConfig: [...pq.sshdConfig, `KexAlgorithms ${PQ}`] });
    targets.push(pqTarget);
    await bastion.cli(['target', 'add', 'pq', '--host', '127.0.0.1', '--port', String(pqTarget.port), '--login', LOGIN]);
    targets.push(await bastion.addTarget('classic')); // Debian 12's sshd 9.2: no ML-KEM
    await bastion.cli(['grant', 'alice', 'pq']);
    await bastion.cli(['grant', 'alice', 'classic']);
    await bastion.start();
    cfg = bastion.sshConfig('alice', key, { pq: LOGIN, classic: LOGIN });
  });
  after(async () => {
    await bastion.stop();
    for (const t of targets) await t.stop();
  });

  test('OpenSSH 10 with its default offer: the hybrid on the jump, the inner connection and fumidai\'s hop to an sshd that allows nothing else', async () => {
    const r = await run(opensshPq()!.ssh, ['-F', cfg, '-v', 'pq', 'echo pq-ok; id -un'], { env: { ...process.env, PATH: path } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `pq-ok\n${LOGIN}\n`);
    assert.deepEqual(negotiated(r.stderr), [PQ, PQ], 'the jump (ssh -W) and the inner connection, both to fumidai');
  });

  test('OpenSSH 10 reaches a target without ML-KEM; Debian 12\'s stock OpenSSH 9.2 client gets a classic exchange', async () => {
    const viaPq = await run(opensshPq()!.ssh, ['-F', cfg, 'classic', 'echo classic-ok'], { env: { ...process.env, PATH: path } });
    assert.equal(viaPq.code, 0, viaPq.stderr);
    assert.equal(viaPq.stdout, 'classic-ok\n');
    const stock = await ssh(cfg, ['-v', 'pq', 'echo stock-ok']);
    assert.equal(stock.code, 0, stock.stderr);
    assert.equal(stock.stdout, 'stock-ok\n');
    assert.deepEqual(negotiated(stock.stderr), ['curve25519-sha256', 'curve25519-sha256']);
  });
});

describe('post-quantum key exchange between ssh2 peers and fumidai', () => {
  const bastion = new Bastion();
  const seenByTarget: string[] = [];
  let target: ssh2.Server;
  let key: string;

  before(async () => {
    assert.equal(hybridKexApplied, true);
    // The target: an ssh2 server offering only the hybrid; it takes any key (fumidai's is what it gets).
    target = new ssh2.Server({ hostKeys: [readableKeyPair('ed25519').private], algorithms: { kex: [PQ as ssh2.KexAlgorithm] } }, (conn: Connection) => {
      conn.on('handshake', (n) => seenByTarget.push(n.kex));
      conn.on('error', () => undefined);
      conn.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
      conn.on('ready', () => conn.on('session', (accept) => accept().on('exec', (acc, _rej, info) => {
        const ch = acc();
        ch.write(`target ran: ${info.command}\n`);
        ch.exit(0);
        ch.end();
      })));
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    await bastion.init();
    key = await bastion.addUser('alice');
    await bastion.cli(['target', 'add', 'tgt', '--host', '127.0.0.1', '--port', String((target.address() as { port: number }).port), '--login', LOGIN]);
    await bastion.cli(['grant', 'alice', 'tgt']);
    await bastion.start();
  });
  after(async () => {
    await bastion.stop();
    await new Promise((r) => target.close(r));
  });

  test('an ssh2 client offering only the hybrid reaches an ssh2 target offering only the hybrid through fumidai (ProxyJump)', async () => {
    const kexes: string[] = [];
    const connect = (client: ssh2.Client, opts: ssh2.ConnectConfig) =>
      new Promise<void>((resolve, reject) => {
        client.on('handshake', (n) => kexes.push(n.kex));
        client.on('ready', () => resolve()).on('error', reject);
        client.connect({ ...opts, algorithms: { kex: [PQ as ssh2.KexAlgorithm] }, readyTimeout: 20_000 });
      });
    const outer = new ssh2.Client();
    await connect(outer, { host: '127.0.0.1', port: bastion.port, username: 'alice', privateKey: readFileSync(key) });
    try {
      const channel = await new Promise<ClientChannel>((res, rej) => outer.forwardOut('127.0.0.1', 0, 'tgt', 22, (e, ch) => (e ? rej(e) : res(ch))));
      const inner = new ssh2.Client();
      await connect(inner, { sock: channel, username: LOGIN, authHandler: ['none'] as never });
      const out = await new Promise<string>((res, rej) =>
        inner.exec('hello', (e, ch) => {
          if (e) return rej(e);
          let text = '';
          ch.on('data', (d: Buffer) => (text += d)).on('close', () => res(text));
        }),
      );
      inner.end();
      assert.equal(out, 'target ran: hello\n');
      assert.deepEqual(kexes, [PQ, PQ], 'the outer and the inner connection to fumidai');
      assert.deepEqual(seenByTarget, [PQ], 'fumidai\'s connection to the target');
    } finally {
      outer.end();
    }
  });
});
