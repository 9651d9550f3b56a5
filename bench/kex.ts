// What the post-quantum hybrid key exchange costs a connection: mlkem768x25519-sha256 against curve25519-sha256,
// alternated run by run, on 127.0.0.1. Parts: the primitives alone; ssh2 client to ssh2 server (both with fumidai's
// patch) from connect to ready; OpenSSH 10 `ssh HOST true` against an ssh2 server (the front door's side) with the
// server's CPU per connection; an ssh2 client to OpenSSH 10's sshd (fumidai's hop to a target) with the client's CPU;
// OpenSSH 10 through a running fumidai (ProxyJump) to sshd 10, every hop with the same exchange, with fumidai's CPU.
// The OpenSSH parts need OpenSSH 10 in /opt/openssh-pq (see .ci/run). BENCH_KEX_REPS (default 40) runs per figure.
// Run: npx tsc -p tsconfig.json && node dist/bench/kex.js
import { hybridKexApplied } from '../src/ssh/hybrid-kex.js'; // first: ssh2 must load after the patch
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { Bastion } from '../test/helpers/fumidai.js';
import { keygen, LOGIN, startTarget, type Target } from '../test/helpers/sshd.js';
import { opensshPq, type OpensshPq } from '../test/helpers/openssh-pq.js';
import { cpuSeconds, fmt, percentile, timed } from './lib/measure.js';
import { readableKeyPair } from '../test/helpers/ssh-keys.js';

const REPS = Number(process.env.BENCH_KEX_REPS ?? 40);
const PQ = 'mlkem768x25519-sha256';
const CLASSIC = 'curve25519-sha256';
const KEXES = [PQ, CLASSIC];

const ms = (ns: bigint) => Number(ns) / 1e6;
const row = (name: string, values: number[], unit = 'ms') =>
  `${name.padEnd(62)} median ${fmt(percentile(values, 50), 2).padStart(7)} ${unit}, p90 ${fmt(percentile(values, 90), 2).padStart(7)} ${unit}`;

function primitives(): void {
  const time = (name: string, f: () => unknown) => {
    const values: number[] = [];
    for (let i = 0; i < REPS * 5; i++) {
      const t = process.hrtime.bigint();
      f();
      values.push(ms(process.hrtime.bigint() - t));
    }
    console.log(row(name, values));
  };
  const { publicKey, secretKey } = ml_kem768.keygen();
  const { cipherText } = ml_kem768.encapsulate(publicKey);
  time('ML-KEM-768 keygen (noble)', () => ml_kem768.keygen());
  time('ML-KEM-768 encapsulate (noble)', () => ml_kem768.encapsulate(publicKey));
  time('ML-KEM-768 decapsulate (noble)', () => ml_kem768.decapsulate(cipherText, secretKey));
  const peer = crypto.generateKeyPairSync('x25519').publicKey;
  time('X25519 keygen + derive (node:crypto)', () => crypto.diffieHellman({ privateKey: crypto.generateKeyPairSync('x25519').privateKey, publicKey: peer }));
}

/** An ssh2 server offering both exchanges (the client picks), that accepts anyone and answers every exec with exit 0. */
function server(): Promise<{ port: number; close(): void }> {
  const hostKey = readableKeyPair('ed25519').private;
  const srv = new ssh2.Server({ hostKeys: [hostKey], algorithms: { kex: KEXES as ssh2.KexAlgorithm[] } }, (conn) => {
    conn.on('error', () => undefined);
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () => conn.on('session', (accept) => accept().on('exec', (acc) => {
      const ch = acc();
      ch.exit(0);
      ch.end();
    })));
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, close: () => srv.close() })));
}

function ssh2Ready(opts: ssh2.ConnectConfig, kex: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const t = process.hrtime.bigint();
    client.on('ready', () => {
      resolve(ms(process.hrtime.bigint() - t));
      client.end();
    });
    client.on('error', reject);
    client.connect({ ...opts, algorithms: { kex: [kex as ssh2.KexAlgorithm] } });
  });
}

/** CPU milliseconds used so far by whoever a figure is about: this process by default. */
interface CpuMeter {
  label: string;
  read(): number;
}
const OWN_CPU = (label: string): CpuMeter => ({ label, read: () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } });

async function alternate(name: string, once: (kex: string) => Promise<number>, cpu: CpuMeter): Promise<void> {
  const times: Record<string, number[]> = { [PQ]: [], [CLASSIC]: [] };
  const cpuMs: Record<string, number> = { [PQ]: 0, [CLASSIC]: 0 };
  for (let i = 0; i < REPS; i++) {
    for (const kex of i % 2 ? KEXES : [...KEXES].reverse()) {
      const c = cpu.read();
      times[kex]!.push(await once(kex));
      cpuMs[kex]! += cpu.read() - c;
    }
  }
  for (const kex of KEXES) console.log(`${row(`${name}, ${kex}`, times[kex]!)}; ${cpu.label} CPU ${fmt(cpuMs[kex]! / REPS, 2)} ms per connection`);
}

/** OpenSSH 10 `ssh -J` through a real fumidai to sshd 10: the client's two connections use the exchange measured, and
 * so does fumidai's to the target, whose sshd allows only that one. CPU: fumidai's process. */
async function throughFumidai(pq: OpensshPq): Promise<void> {
  const bastion = new Bastion();
  const targets: Target[] = [];
  try {
    await bastion.init();
    const key = await bastion.addUser('bench');
    const hosts: Record<string, string> = {};
    for (const kex of KEXES) {
      const t = await startTarget({ authorizedKeys: await bastion.upstreamPublicKey(), sshd: pq.sshd, extraConfig: [...pq.sshdConfig, `KexAlgorithms ${kex}`] });
      targets.push(t);
      hosts[kex] = kex.split('-')[0]!;
      await bastion.cli(['target', 'add', hosts[kex]!, '--host', '127.0.0.1', '--port', String(t.port), '--login', LOGIN]);
      await bastion.cli(['grant', 'bench', hosts[kex]!]);
    }
    await bastion.start();
    const cfg = bastion.sshConfig('bench', key, Object.fromEntries(Object.values(hosts).map((h) => [h, LOGIN])));
    const env = { ...process.env, PATH: `${pq.bin}:${process.env.PATH}` }; // ProxyJump runs the ssh found in PATH
    const pid = bastion.process!.pid!;
    const once = async (kex: string) => 1000 * (await timed(pq.ssh, ['-F', cfg, '-o', `KexAlgorithms=${kex}`, hosts[kex]!, 'true'], { env }));
    await alternate('ssh -J fumidai -> sshd 10, ssh true', once, { label: 'fumidai', read: () => 1000 * cpuSeconds(pid) });
  } finally {
    await bastion.stop();
    for (const t of targets) await t.stop();
  }
}

async function main(): Promise<void> {
  if (!hybridKexApplied) throw new Error('the hybrid key exchange patch was not applied');
  console.log(`node ${process.version}, ${opensshPq()?.version ?? 'no OpenSSH 10'}, ${REPS} runs per figure\n`);
  primitives();
  const srv = await server();
  try {
    await alternate('ssh2 -> ssh2, connect to ready', (kex) => ssh2Ready({ host: '127.0.0.1', port: srv.port, username: 'x' }, kex), OWN_CPU('both sides\''));
    const pq = opensshPq();
    if (!pq) {
      console.log('\nno OpenSSH 10 in /opt/openssh-pq: OpenSSH parts skipped');
      return;
    }
    const common = ['-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-p', String(srv.port)];
    await alternate('OpenSSH 10 ssh true -> ssh2 server', async (kex) => 1000 * (await timed(pq.ssh, [...common, '-o', `KexAlgorithms=${kex}`, 'x@127.0.0.1', 'true'])), OWN_CPU('server'));
    const dir = mkdtempSync(join(tmpdir(), 'fumidai-kex-bench-'));
    const key = (await keygen(join(dir, 'key'))).priv;
    const target = await startTarget({ authorizedKeys: readFileSync(`${key}.pub`, 'utf8'), sshd: pq.sshd, extraConfig: pq.sshdConfig });
    try {
      const privateKey = readFileSync(key);
      await alternate('ssh2 client -> sshd 10, connect to ready', (kex) => ssh2Ready({ host: '127.0.0.1', port: target.port, username: LOGIN, privateKey }, kex), OWN_CPU('client'));
    } finally {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    await throughFumidai(pq);
  } finally {
    srv.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
