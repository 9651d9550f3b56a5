// BENCHMARKS.md from one run's figures: the method and the latest full run. The hand-written section from "## Where
// fumidai falls short" on is kept from the existing file; what was changed along the way is in bench/HISTORY.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { ConcResult } from './concurrency.js';
import { fmt, fmtStats, type Stats } from './measure.js';

export const ROUTES = ['direct', 'openssh -J', 'openssh + script', 'fumidai -J'] as const;
export type Route = (typeof ROUTES)[number];

export interface Figures {
  sshVersion: string;
  /** The commit measured (`git describe --always --dirty`). */
  build: string;
  /** 1-minute load averages at the start and the end of the run (other work on the shared machine included). */
  load: [number, number];
  nativeBinding: boolean;
  sizes: { execMB: number; ptyMB: number; scpMB: number; reps: number; heavyReps: number; flooders: number; keys: number; concKiB: number };
  results: Record<string, Partial<Record<Route, Stats>>>;
  cpu: Record<string, number>;
  /** CPU seconds of each bastion during a part's runs (OpenSSH: the bastion sshd and what it ran). */
  cpuByRoute: Record<string, Partial<Record<Route, number>>>;
  rssMiB: number;
  echo: Partial<Record<Route, { p50: number; p99: number }>>;
  conc: { route: Route; result: ConcResult }[];
}

const KEPT_FROM = '## Where fumidai falls short';

export function writeReport(path: string, f: Figures): string {
  const { results, cpu, sizes } = f;
  const med = (k: string, r: Route) => results[k]?.[r]?.median ?? NaN;
  const cell = (k: string, r: Route, digits: number) => (results[k]?.[r] ? fmtStats(results[k]![r]!, digits) : '–');
  const row = (label: string, k: string, unit: string, digits: number) => `| ${label} | ${ROUTES.map((r) => cell(k, r, digits)).join(' | ')} | ${unit} |`;
  const echoCell = (r: Route) => (f.echo[r] ? `${fmt(f.echo[r]!.p50, 2)} / ${fmt(f.echo[r]!.p99, 2)}` : '–');
  const ratio = (a: number, b: number) => fmt(a / b, 2);
  const concRoutes: Route[] = ['openssh -J', 'openssh + script', 'fumidai -J'];
  const ns = [...new Set(f.conc.map((c) => c.result.n))];
  const concCell = (n: number, r: Route, pick: (c: ConcResult) => string) => {
    const c = f.conc.find((x) => x.route === r && x.result.n === n)?.result;
    return !c ? 'not run' : c.failure ? `**failed**: ${c.failure}` : pick(c);
  };
  const partMB = { exec: sizes.execMB, pty: sizes.ptyMB, scp: sizes.scpMB } as const;
  const cpuPerGb = (k: keyof typeof partMB, r: Route) => {
    const seconds = f.cpuByRoute[k]?.[r];
    return seconds === undefined ? undefined : seconds / ((sizes.heavyReps * partMB[k]) / 1024);
  };
  const bastionCpuLine = (Object.keys(partMB) as (keyof typeof partMB)[])
    .filter((k) => f.cpuByRoute[k])
    .map((k) => `${k}: ${concRoutes.filter((r) => cpuPerGb(k, r) !== undefined).map((r) => `${r} ${fmt(cpuPerGb(k, r)!)} s`).join(', ')}`)
    .join('; ');
  const mib = (kib: number) => fmt(kib / 1024, 2);
  const held = (r: Route) => Math.max(0, ...f.conc.filter((c) => c.route === r && !c.result.failure).map((c) => c.result.n));
  const firstConc = (r: Route) => f.conc.find((c) => c.route === r && !c.result.failure)?.result;
  const heavy = `${sizes.heavyReps} run${sizes.heavyReps === 1 ? '' : 's'}`;
  const lines = [
    '# Benchmarks',
    '',
    'fumidai against OpenSSH, measured by `bench/run.ts` in one run on one machine: how, the latest full run, and where',
    'fumidai falls short of its targets. What was changed along the way, each step measured before and after, is in',
    '[bench/HISTORY.md](bench/HISTORY.md), newest first.',
    '',
    '## Method',
    '',
    '`npm run bench` (as root) starts, on 127.0.0.1, a private sshd as the target and four routes to it:',
    '',
    '- **direct**: ssh to the target;',
    '- **openssh -J**: a private sshd as a plain OpenSSH ProxyJump host (no recording);',
    '- **openssh + script**: the classic recording bastion, an sshd whose ForceCommand runs the second ssh inside',
    '  `script --log-timing` (always through a pty);',
    '- **fumidai -J**: fumidai as the ProxyJump host, recording every byte (asciicast for the pty, frames for exec and scp).',
    '',
    'First, every route must deliver exactly 1,000,000 bytes (the script bastion: a word through its pty); then, in order:',
    '',
    `- **concurrent sessions**: N = ${ns.join(', ') || 'none'} (\`BENCH_CONC\`) sessions open at once through each bastion`,
    `  (stock ssh clients with a pty, opened 16 at a time), first idle, then all printing ${sizes.concKiB} KiB (\`BENCH_CONC_KB\`) of`,
    "  base64 at once. Memory per session: fumidai's resident set growth over N; OpenSSH: growth of the proportional set",
    "  size summed over the bastion sshd's whole process tree (/proc/PID/smaps_rollup). Then every client's output and",
    '  every recording is compared byte for byte with what was printed. A route stops at the first N where a session',
    '  cannot be opened or a byte is missing. This part comes first, after an unreported round of 10 and a 65 s pause in',
    "  which fumidai's screen-indexing thread stops, while fumidai's heap has not yet grown with the throughput runs.",
    `- **connection setup**: \`ssh HOST true\`, ${sizes.reps} runs (\`BENCH_REPS\`); **with TOTP** (fumidai only), the same by users enrolled`,
    '  in TOTP, sshpass typing an oathtool code made before the timer starts (every login is checked to have passed it).',
    `- **exec throughput**: ${sizes.execMB} MB (\`BENCH_EXEC_MB\`) of \`head -c\` from /dev/zero, ${heavy} (half of \`BENCH_REPS\`).`,
    `- **pty throughput**: ${sizes.ptyMB} MB (\`BENCH_PTY_MB\`) of base64 through \`ssh -tt\`, ${heavy}.`,
    `- **scp**: a ${sizes.scpMB} MB (\`BENCH_SCP_MB\`) file of random bytes to the target's disk (SFTP underneath), ${heavy}; the first copy`,
    "  per route is checked by sha256, every copy by size. Not through the script bastion, whose ForceCommand would",
    '  swallow the SFTP subsystem.',
    `- **keystroke echo**: ${sizes.keys} keystrokes (\`BENCH_KEYS\`) 10 ms apart, typed one at a time in a real pseudo-terminal into`,
    "  `ssh -tt HOST 'stty -icanon -echo min 1 time 0; exec cat'`, each timed until its echo is back; p50 / p99.",
    `- **login during a flood**: \`ssh HOST true\`, ${sizes.reps} runs, while ${sizes.flooders} (\`BENCH_FLOOD\`) looping clients with an unknown key`,
    '  connect from 127.0.0.2 (OpenSSH -J and fumidai).',
    '',
    "Each figure is the median (min–max) of its runs (of two runs, the higher). CPU: fumidai's process with its threads",
    "(/proc/PID/stat) over a part's runs, which includes indexing the screen text of the sessions that ended; OpenSSH's",
    "bastions: the bastion sshd's process tree, sampled every 100 ms (a process that ends between samples loses its last",
    "milliseconds, in OpenSSH's favour). Resident memory: fumidai's, after the pty runs.",
    '',
    'Other settings: BENCH_ONLY=pty,echo runs parts (setup setup-mfa exec pty scp echo conc flood) without writing this',
    'file, BENCH_ROUTES=fumidai,script only those routes; BENCH_PROF=DIR profiles fumidai, BENCH_NODE_ARGS adds node',
    "options to it (e.g. --trace-gc), BENCH_LOG=FILE keeps its log; BENCH_CIPHERS sets every client's Ciphers. A full run",
    'rewrites this file down to the shortfalls, which are written by hand, as is the history.',
    '',
    'Throughput per cipher is a run of its own, `npm run bench:ciphers` (bench/ciphers.ts), whose method and figures are',
    'in its section at the end of this file (written by hand from its output, like the shortfalls).',
    '',
    `The machine: client, bastions and target share its ${cpus().length} cores (with other work on the machine), so absolute figures are`,
    'lower than on separate hosts and wobble from run to run; ratios within one run are the point.',
    '',
    '## Latest full run',
    '',
    `${new Date().toISOString()}, build ${f.build}, on ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${f.sshVersion}, Node ${process.version};`,
    `ssh2 native crypto binding built: ${f.nativeBinding ? 'yes' : 'NO'}. Load average (1 min) at the start of this run: ${fmt(f.load[0], 1)}, at the end: ${fmt(f.load[1], 1)}.`,
    '',
    `| measure | ${ROUTES.join(' | ')} | unit |`,
    `|---|${ROUTES.map(() => '---').join('|')}|---|`,
    row('connection setup, `ssh HOST true`', 'setup', 'ms', 0),
    row('connection setup with TOTP, `ssh -J … true` by an enrolled user; sshpass types an oathtool code made beforehand, prompt included', 'setup-mfa', 'ms', 0),
    row(`exec throughput, ${sizes.execMB} MB of \`head -c\``, 'exec', 'MB/s', 1),
    row(`pty throughput, ${sizes.ptyMB} MB of base64 with \`ssh -tt\``, 'pty', 'MB/s', 1),
    row(`scp of a ${sizes.scpMB} MB random file to the target's disk (SFTP underneath)`, 'scp', 'MB/s', 1),
    `| keystroke echo p50 / p99, ${sizes.keys} keys | ${ROUTES.map(echoCell).join(' | ')} | ms |`,
    row(`login during a flood (${sizes.flooders} parallel unknown-key clients)`, 'flood', 'ms', 0),
    '',
    'Ratios (fumidai / reference, medians):',
    '',
    `- connection setup: ${ratio(med('setup', 'fumidai -J'), med('setup', 'openssh -J'))} × OpenSSH -J (lower is better; target ≤ 0.7)`,
    ...(results['setup-mfa']?.['fumidai -J']
      ? [`- connection setup with TOTP: ${ratio(med('setup-mfa', 'fumidai -J'), med('setup', 'fumidai -J'))} × fumidai's own key-only setup, ${ratio(med('setup-mfa', 'fumidai -J'), med('setup', 'openssh -J'))} × OpenSSH -J key-only setup (lower is better; includes sshpass and the prompt's round trip)`]
      : []),
    `- exec throughput: ${ratio(med('exec', 'fumidai -J'), med('exec', 'openssh -J'))} × OpenSSH -J (target ≥ 0.8)`,
    `- recorded pty throughput: ${ratio(med('pty', 'fumidai -J'), med('pty', 'openssh + script'))} × OpenSSH + script (target ≥ 1.3); ${ratio(med('pty', 'fumidai -J'), med('pty', 'openssh -J'))} × unrecorded OpenSSH -J`,
    ...(results.scp?.['fumidai -J']
      ? [`- scp throughput: ${ratio(med('scp', 'fumidai -J'), med('scp', 'openssh -J'))} × OpenSSH -J, ${ratio(med('scp', 'fumidai -J'), med('scp', 'direct'))} × direct (higher is better; fumidai records every byte of the transfer)`]
      : []),
    ...(f.echo['fumidai -J'] && f.echo['openssh -J'] && f.echo['openssh + script']
      ? [`- keystroke echo: p50 ${ratio(f.echo['fumidai -J'].p50, f.echo['openssh -J'].p50)} × OpenSSH -J and ${ratio(f.echo['fumidai -J'].p50, f.echo['openssh + script'].p50)} × OpenSSH + script; p99 ${ratio(f.echo['fumidai -J'].p99, f.echo['openssh -J'].p99)} × and ${ratio(f.echo['fumidai -J'].p99, f.echo['openssh + script'].p99)} × (lower is better; targets p50 ≤ 1.2 ms, p99 ≤ 6 ms)`]
      : []),
    `- login during a flood: ${ratio(med('flood', 'fumidai -J'), med('setup', 'fumidai -J'))} × fumidai's own quiet login time (OpenSSH -J: ${ratio(med('flood', 'openssh -J'), med('setup', 'openssh -J'))} ×); the flooding clients share the 2 cores, so part of the slowdown is theirs`,
    ...(firstConc('fumidai -J') && firstConc('openssh -J') && firstConc('openssh + script')
      ? [`- memory per idle recorded session (smallest N): ${ratio(firstConc('fumidai -J')!.idleKiBPerSession, firstConc('openssh -J')!.idleKiBPerSession)} × OpenSSH -J, ${ratio(firstConc('fumidai -J')!.idleKiBPerSession, firstConc('openssh + script')!.idleKiBPerSession)} × OpenSSH + script (target ≤ 0.25 MiB per session)`]
      : []),
    '',
    `Bastion CPU per GB relayed (fumidai's process with its threads; OpenSSH: the bastion sshd and every session process under it): ${bastionCpuLine}.`,
    '',
    `fumidai CPU per GB relayed and recorded: exec ${fmt(cpu.exec! / ((sizes.heavyReps * sizes.execMB) / 1024))} s, pty ${fmt(cpu.pty! / ((sizes.heavyReps * sizes.ptyMB) / 1024))} s${cpu.scp !== undefined ? `, scp ${fmt(cpu.scp / ((sizes.heavyReps * sizes.scpMB) / 1024))} s` : ''} (target ≤ 15 s for pty; includes indexing the screen text of the sessions that ended). Resident memory after the throughput runs: ${fmt(f.rssMiB)} MiB.`,
    '',
  ];
  if (f.conc.length) {
    lines.push(
      `### Concurrent sessions`,
      '',
      `| N | measure | ${concRoutes.join(' | ')} |`,
      `|---|---|${concRoutes.map(() => '---').join('|')}|`,
      ...ns.flatMap((n) => [
        `| ${n} | idle, MiB per session | ${concRoutes.map((r) => concCell(n, r, (c) => mib(c.idleKiBPerSession))).join(' | ')} |`,
        `| ${n} | busy peak, MiB per session | ${concRoutes.map((r) => concCell(n, r, (c) => mib(c.busyPeakKiBPerSession))).join(' | ')} |`,
        `| ${n} | all printing, s | ${concRoutes.map((r) => concCell(n, r, (c) => fmt(c.busySeconds))).join(' | ')} |`,
        `| ${n} | clients / recordings with every byte | ${concRoutes.map((r) => concCell(n, r, (c) => `${c.clientsExact}/${n} / ${c.recordingsExact === undefined ? 'not recorded' : `${c.recordingsExact}/${c.recordings}`}`)).join(' | ')} |`,
      ]),
      '',
      `Held with every byte: ${concRoutes.map((r) => `${r} up to N = ${held(r) || 'none'}`).join('; ')}.`,
      '',
    );
  }
  lines.push(
    'Notes: fumidai -J sets up faster than direct ssh here because its SSH library offers curve25519 key exchange, while',
    'OpenSSH 9.2 prefers the post-quantum sntrup761x25519 hybrid, which costs more CPU per handshake.',
    '',
  );
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const kept = old.includes(KEPT_FROM) ? old.slice(old.indexOf(KEPT_FROM)) : '';
  const md = lines.join('\n') + (kept ? `\n${kept}` : '');
  writeFileSync(path, md);
  return md;
}
