// fumidai against OpenSSH, in one run on this machine: a private sshd target, a private sshd used as a plain
// ProxyJump host, and a fumidai bastion (recording everything), all on 127.0.0.1. Prints ratios and writes
// BENCHMARKS.md. Sizes: BENCH_EXEC_MB (default 1024), BENCH_PTY_MB (200), BENCH_REPS (5).
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT } from '../test/helpers/fumidai.js';
import { LOGIN, startTarget, type Target } from '../test/helpers/sshd.js';
import { cpuSeconds, fmt, fmtStats, rssMiB, stats, timed, type Stats } from './lib/measure.js';

const EXEC_MB = Number(process.env.BENCH_EXEC_MB ?? 1024);
const PTY_MB = Number(process.env.BENCH_PTY_MB ?? 200);
const REPS = Number(process.env.BENCH_REPS ?? 5);

type Route = 'direct' | 'openssh -J' | 'fumidai -J';
const HOSTS: Record<Route, string> = { direct: 'target', 'openssh -J': 'via-openssh', 'fumidai -J': 'via-fumidai' };

async function main(): Promise<void> {
  const bastion = new Bastion();
  const started: Target[] = [];
  try {
    await bastion.init();
    const clientKey = await bastion.addUser('bench');
    const clientPub = readFileSync(`${clientKey}.pub`, 'utf8');
    const target = await startTarget({ authorizedKeys: clientPub + (await bastion.upstreamPublicKey()) });
    const jump = await startTarget({ authorizedKeys: clientPub });
    started.push(target, jump);
    await bastion.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(target.port), '--login', LOGIN]);
    await bastion.cli(['grant', 'bench', 'web1']);
    await bastion.start();
    const pid = bastion.process!.pid!;
    const cfg = join(bastion.dir, 'bench_ssh_config');
    writeFileSync(cfg, [
      `Host target`, `  HostName 127.0.0.1`, `  Port ${target.port}`, `  User ${LOGIN}`,
      `Host ojump`, `  HostName 127.0.0.1`, `  Port ${jump.port}`, `  User ${LOGIN}`,
      `Host via-openssh`, `  HostName 127.0.0.1`, `  Port ${target.port}`, `  User ${LOGIN}`, `  ProxyJump ojump`,
      `Host bastion`, `  HostName 127.0.0.1`, `  Port ${bastion.port}`, `  User bench`,
      `Host via-fumidai`, `  HostName web1`, `  User ${LOGIN}`, `  ProxyJump bastion`,
      `Host *`, `  IdentityFile ${clientKey}`, `  IdentitiesOnly yes`, `  StrictHostKeyChecking no`,
      `  UserKnownHostsFile /dev/null`, `  BatchMode yes`, `  LogLevel ERROR`, '',
    ].join('\n'));
    const ssh = (route: Route, ...args: string[]) => ['-F', cfg, ...args.slice(0, -1), HOSTS[route], args.at(-1)!];
    const routes: Route[] = ['direct', 'openssh -J', 'fumidai -J'];

    // Correctness first: every route delivers exactly the bytes asked for.
    for (const r of routes) {
      const n = execFileSync('ssh', ssh(r, 'head -c 1000000 /dev/zero'), { maxBuffer: 1 << 22 }).length;
      if (n !== 1_000_000) throw new Error(`${r} delivered ${n} bytes instead of 1000000`);
    }

    const results: Record<string, Partial<Record<Route, Stats>>> = { setup: {}, exec: {}, pty: {} };
    const cpu: Partial<Record<string, number>> = {};
    console.log(`connection setup (ssh HOST true), ${REPS} runs`);
    for (const r of routes) {
      const runs: number[] = [];
      for (let i = 0; i < REPS; i++) runs.push((await timed('ssh', ssh(r, 'true'))) * 1000);
      results.setup![r] = stats(runs);
      console.log(`  ${r.padEnd(11)} ${fmtStats(results.setup![r]!, 0)} ms`);
    }
    const throughput = async (label: 'exec' | 'pty', mb: number, args: string[], command: string) => {
      console.log(`${label}: ${mb} MB, ${Math.max(1, Math.floor(REPS / 2))} runs`);
      for (const r of routes) {
        const runs: number[] = [];
        const cpu0 = cpuSeconds(pid);
        const n = Math.max(1, Math.floor(REPS / 2));
        for (let i = 0; i < n; i++) runs.push(mb / (await timed('ssh', ssh(r, ...args, command))));
        if (r === 'fumidai -J') cpu[label] = (cpuSeconds(pid) - cpu0) / ((n * mb) / 1024);
        results[label]![r] = stats(runs);
        console.log(`  ${r.padEnd(11)} ${fmtStats(results[label]![r]!)} MB/s`);
      }
    };
    await throughput('exec', EXEC_MB, [], `head -c ${EXEC_MB}M /dev/zero`);
    // Through a pty, printable output (a terminal's kind of data), recorded as asciicast by fumidai.
    await throughput('pty', PTY_MB, ['-tt'], `head -c ${Math.round((PTY_MB * 3) / 4)}M /dev/zero | base64`);
    const rss = rssMiB(pid);

    const ratio = (k: 'setup' | 'exec' | 'pty') => results[k]!['fumidai -J']!.median / results[k]!['openssh -J']!.median;
    const native = existsSync(join(ROOT, 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node'));
    const opensshVersion = execFileSync('ssh', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || '';
    const sshV = opensshVersion.trim() || execFileSync('sh', ['-c', 'ssh -V 2>&1'], { encoding: 'utf8' }).trim();
    const row = (label: string, k: 'setup' | 'exec' | 'pty', unit: string, digits: number, better: string) =>
      `| ${label} | ${fmtStats(results[k]!.direct!, digits)} | ${fmtStats(results[k]!['openssh -J']!, digits)} | ${fmtStats(results[k]!['fumidai -J']!, digits)} | ${fmt(ratio(k), 2)} (${better}) | ${unit} |`;
    const md = [
      '# Benchmarks',
      '',
      `Latest run: ${new Date().toISOString()} on ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${sshV}, Node ${process.version};`,
      `ssh2 native crypto binding built: ${native ? 'yes' : 'NO'}. Reproduce: \`npm run bench\` (as root; env BENCH_EXEC_MB, BENCH_PTY_MB, BENCH_REPS).`,
      '',
      'Everything runs on this machine in one run, on 127.0.0.1: a private sshd as the target, a private sshd as a plain',
      'OpenSSH ProxyJump host (no recording), and fumidai recording every byte (asciicast for the pty, frames for exec).',
      'Client, bastion and target share 2 cores, so absolute figures are lower than on separate hosts; ratios are the point.',
      'Median (min–max).',
      '',
      '| measure | direct | OpenSSH -J | fumidai -J | fumidai / OpenSSH -J | unit |',
      '|---|---|---|---|---|---|',
      row('connection setup, `ssh HOST true`', 'setup', 'ms', 0, 'lower is better'),
      row(`exec throughput, ${EXEC_MB} MB of \`head -c\``, 'exec', 'MB/s', 1, 'higher is better'),
      row(`pty throughput, ${PTY_MB} MB of base64 with \`ssh -tt\``, 'pty', 'MB/s', 1, 'higher is better'),
      '',
      `fumidai CPU per GB relayed and recorded: exec ${fmt(cpu.exec ?? NaN)} s, pty ${fmt(cpu.pty ?? NaN)} s. Resident memory after the run: ${fmt(rss)} MiB.`,
      '',
    ].join('\n');
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), md);
    console.log(`\nratios fumidai / OpenSSH -J: setup ${fmt(ratio('setup'), 2)}, exec ${fmt(ratio('exec'), 2)}, pty ${fmt(ratio('pty'), 2)}`);
    console.log('wrote BENCHMARKS.md');
  } finally {
    await bastion.stop();
    for (const t of started) await t.stop();
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  process.exit(1);
});
