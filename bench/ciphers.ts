// Throughput per cipher, fumidai against OpenSSH, in one run: the stock OpenSSH client pinned to one cipher (Ciphers
// in its config, for both hops of -J) sends `head -c` output directly from a private sshd and through fumidai as the
// ProxyJump host, with fumidai's default config. Runs alternate (each repetition goes through every cipher and both
// routes in turn) so that other work on the machine spreads over all of them. "default" is the client without
// Ciphers: the row that must equal aes128-gcm for fumidai (the server's choice), whatever the client lists first.
// Sizes: BENCH_CIPHER_MB (default 512), BENCH_REPS (3), BENCH_CIPHER_LIST (comma-separated; default below).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { Bastion } from '../test/helpers/fumidai.js';
import { LOGIN, startTarget } from '../test/helpers/sshd.js';
import { cpuSeconds, fmt, fmtStats, stats, timed } from './lib/measure.js';

const MB = Number(process.env.BENCH_CIPHER_MB ?? 512);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const CIPHERS = (process.env.BENCH_CIPHER_LIST ?? 'default,aes128-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr').split(',');
const ROUTES = ['direct', 'fumidai -J'] as const;
type Route = (typeof ROUTES)[number];

/** The cipher of fumidai's newest login, from the audit trail (AuthSuccess records what the key exchange agreed). */
function lastCipher(data: string): string {
  const root = join(data, 'audit');
  const lines = readdirSync(root)
    .filter((d) => !d.endsWith('-admin'))
    .flatMap((d) => readdirSync(join(root, d)).map((f) => readFileSync(join(root, d, f), 'utf8')))
    .flatMap((t) => t.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; eventName?: string; details?: { algorithms?: { cipher: string } } }))
    .filter((e) => e.eventName === 'AuthSuccess')
    .sort((a, b) => a.seq - b.seq);
  return lines.at(-1)?.details?.algorithms?.cipher ?? 'unknown';
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  const bastion = new Bastion();
  const target = await startTarget({ authorizedKeys: '' });
  try {
    await bastion.init();
    const key = await bastion.addUser('bench');
    writeFileSync(target.authorizedKeys, readFileSync(`${key}.pub`, 'utf8') + (await bastion.upstreamPublicKey()));
    await bastion.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(target.port), '--login', LOGIN]);
    await bastion.cli(['grant', 'bench', 'web1']);
    await bastion.start();
    const pid = bastion.process!.pid!;
    const config = (cipher: string) => {
      const file = join(bastion.dir, `ssh_config_${cipher.replace(/\W/g, '_')}`);
      writeFileSync(file, [
        'Host target', '  HostName 127.0.0.1', `  Port ${target.port}`, `  User ${LOGIN}`,
        'Host bastion', '  HostName 127.0.0.1', `  Port ${bastion.port}`, '  User bench',
        'Host via-fumidai', '  HostName web1', `  User ${LOGIN}`, '  ProxyJump bastion',
        'Host *', `  IdentityFile ${key}`, '  IdentitiesOnly yes', '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null',
        '  BatchMode yes', '  LogLevel ERROR', ...(cipher === 'default' ? [] : [`  Ciphers ${cipher}`]), '',
      ].join('\n'));
      return file;
    };
    const host: Record<Route, string> = { direct: 'target', 'fumidai -J': 'via-fumidai' };
    const runs = new Map<string, number[]>();
    const cpu = new Map<string, number>();
    const negotiated = new Map<string, string>();
    for (const route of ROUTES) await timed('ssh', ['-F', config('default'), host[route], 'head -c 50000000 /dev/zero']); // warm-up, not reported
    console.log(`exec throughput per cipher: ${MB} MB of head -c, ${REPS} alternating runs; load average ${fmt(load0)}`);
    for (let rep = 0; rep < REPS; rep++) {
      for (const cipher of CIPHERS) {
        for (const route of ROUTES) {
          const cpu0 = cpuSeconds(pid);
          const seconds = await timed('ssh', ['-F', config(cipher), host[route], `head -c ${MB * 1_000_000} /dev/zero`]);
          const k = `${cipher}|${route}`;
          runs.set(k, [...(runs.get(k) ?? []), MB / seconds]);
          if (route === 'fumidai -J') {
            cpu.set(cipher, (cpu.get(cipher) ?? 0) + cpuSeconds(pid) - cpu0);
            negotiated.set(cipher, lastCipher(bastion.data)); // the inner session's login: the cipher the bytes crossed
          }
        }
      }
    }
    const median = (cipher: string, route: Route) => stats(runs.get(`${cipher}|${route}`)!).median;
    const gcm = CIPHERS.includes('aes128-gcm@openssh.com') ? median('aes128-gcm@openssh.com', 'fumidai -J') : NaN;
    console.log('| client cipher | fumidai negotiated | direct MB/s | fumidai -J MB/s | fumidai / direct | fumidai / fumidai aes128-gcm | fumidai CPU s per GB |');
    console.log('|---|---|---|---|---|---|---|');
    for (const cipher of CIPHERS) {
      const [d, f] = [stats(runs.get(`${cipher}|direct`)!), stats(runs.get(`${cipher}|fumidai -J`)!)];
      const cpuPerGb = cpu.get(cipher)! / ((REPS * MB) / 1000);
      console.log(`| ${cipher} | ${negotiated.get(cipher)} | ${fmtStats(d)} | ${fmtStats(f)} | ${fmt(f.median / d.median, 2)} | ${fmt(median(cipher, 'fumidai -J') / gcm, 2)} | ${fmt(cpuPerGb)} |`);
    }
    console.log(`load average at the end: ${fmt(loadavg()[0]!)}`);
  } finally {
    await bastion.stop();
    await target.stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
