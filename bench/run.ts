// fumidai against OpenSSH, in one run on this machine: a private sshd target, a private sshd used as a plain
// ProxyJump host, the classic recording bastion (sshd + ForceCommand + script), and a fumidai bastion recording
// everything, all on 127.0.0.1. Prints ratios and writes BENCHMARKS.md.
// Parts: connection setup (key only, and with a TOTP code for fumidai), exec and pty throughput, scp of a file,
// keystroke echo latency, N concurrent sessions, login under a flood, login during a flood of silent sockets.
// Sizes: BENCH_EXEC_MB (default 1024), BENCH_PTY_MB (200), BENCH_SCP_MB (1024), BENCH_REPS (5), BENCH_FLOOD (4 parallel flooders),
// BENCH_KEYS (500 keystrokes), BENCH_CONC (N list, default 100,500,1000,2000), BENCH_CONC_KB (64 KiB per busy session);
// BENCH_CIPHERS sets the clients' Ciphers (e.g. aes128-gcm@openssh.com) for every route alike.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bastion, ROOT } from '../test/helpers/fumidai.js';
import { keygen, LOGIN, startTarget, type Target } from '../test/helpers/sshd.js';
import { cpuSeconds, fmt, fmtStats, percentile, rssMiB, stats, timed, type Stats } from './lib/measure.js';
import { startScriptBastion } from './lib/script-bastion.js';
import { ROUTES, writeReport, type Route } from './lib/report.js';
import { ECHO_COMMAND, echoLatencies } from './lib/echo.js';
import { runConcurrency, stopAllClients, type ConcResult, type ConcRoute } from './lib/concurrency.js';
import { treePssKiB } from './lib/proc-mem.js';
import { sampleTreeCpu } from './lib/proc-cpu.js';
import { castOutputs, scriptOutputs } from './lib/recorded.js';
import { enrollMfaUsers, freshCode, sshpassArgs, type MfaUser } from './lib/totp.js';
import { makeScpSource, scpDestDir, scpOnce } from './lib/scp.js';
import { silentFloodLogins } from './lib/silent-flood.js';

const EXEC_MB = Number(process.env.BENCH_EXEC_MB ?? 1024);
const PTY_MB = Number(process.env.BENCH_PTY_MB ?? 200);
const SCP_MB = Number(process.env.BENCH_SCP_MB ?? 1024);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const FLOODERS = Number(process.env.BENCH_FLOOD ?? 4);
const KEYS = Number(process.env.BENCH_KEYS ?? 500);
const CONC = (process.env.BENCH_CONC ?? '100,500,1000,2000').split(',').map(Number).filter((n) => n > 0);
const CONC_BYTES = Number(process.env.BENCH_CONC_KB ?? 64) * 1024;
/** BENCH_SILENT: silent sockets (no version line) opened at least, while logins are timed. */
const SILENT = Number(process.env.BENCH_SILENT ?? 2000);
/** BENCH_ONLY=pty,echo runs only those parts (setup setup-mfa exec pty scp flood silent echo conc) and prints without writing BENCHMARKS.md. */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const wanted = (part: string) => !ONLY || ONLY.has(part);
/** BENCH_ROUTES=fumidai,script limits the routes measured to those whose names contain one of the words. */
const ONLY_ROUTES = process.env.BENCH_ROUTES?.split(',');
const routeWanted = (r: string) => !ONLY_ROUTES || ONLY_ROUTES.some((w) => r.includes(w));
/** BENCH_PROF=DIR starts fumidai with --cpu-prof, writing its profile to DIR when it stops. */
const PROF = process.env.BENCH_PROF;
/** BENCH_NODE_ARGS='--trace-gc ...' adds options to fumidai's node; BENCH_LOG=FILE keeps fumidai's output there. */
const NODE_ARGS = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

const HOSTS: Record<Route, string> = { direct: 'target', 'openssh -J': 'via-openssh', 'openssh + script': 'scriptb', 'fumidai -J': 'via-fumidai' };

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  // The build measured, taken at the start (the tree may change during an hour's run); "-dirty": uncommitted changes.
  const build = execFileSync('sh', ['-c', 'git describe --always --dirty 2>/dev/null || echo "unknown (not a git checkout)"'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const bastion = new Bastion();
  const started: Target[] = [];
  const flooders: ChildProcess[] = [];
  // Interrupted (Ctrl-C, kill): stop everything started, as the normal end does.
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    stopAllClients();
    for (const f of flooders) {
      try {
        process.kill(-f.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await bastion.stop();
    if (process.env.BENCH_LOG) writeFileSync(process.env.BENCH_LOG, bastion.log);
    for (const t of started) await t.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));
  try {
    // 20 per address: the 16 logins at once of the concurrency part fit, and the silent flood's 4 addresses hold 80 of
    // the 100 places of auth.maxStartups, leaving room for the login it times.
    await bastion.init({ 'perSourceMaxStartups: 30': 'perSourceMaxStartups: 20' });
    const clientKey = await bastion.addUser('bench');
    const clientPub = readFileSync(`${clientKey}.pub`, 'utf8');
    const target = await startTarget({ authorizedKeys: clientPub + (await bastion.upstreamPublicKey()) });
    const jump = await startTarget({ authorizedKeys: clientPub });
    const scriptb = await startScriptBastion(bastion.dir, clientPub, clientKey, target.port);
    started.push(target, jump, scriptb);
    await bastion.cli(['target', 'add', 'web1', '--host', '127.0.0.1', '--port', String(target.port), '--login', LOGIN]);
    await bastion.cli(['grant', 'bench', 'web1']);
    // BENCH_SHELL_RULE=1: an `on: shell` rule in scope for the bench user, so its terminals pass the line gate.
    if (process.env.BENCH_SHELL_RULE) await bastion.applyPolicy('commands:\n  - { name: bench-line, on: shell, users: [bench], match: { program: [never-typed] }, action: alert }\n');
    // Connection setup with a second factor: users of their own enrolled in TOTP (the `bench` user stays key-only for
    // every other part). fumidai accepts a code once per user and 30 s step, so each run takes the next user of the
    // pool, and waits (untimed) for the next step only when the pool is used up within one step.
    const mfaUsers: MfaUser[] = wanted('setup-mfa') && routeWanted('fumidai -J')
      ? await enrollMfaUsers(bastion, Array.from({ length: Math.min(REPS, 10) }, (_, i) => `bench-mfa-${i + 1}`), 'web1')
      : [];
    await bastion.start([...(PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []), ...NODE_ARGS]);
    const pid = bastion.process!.pid!;
    const cfg = join(bastion.dir, 'bench_ssh_config');
    writeFileSync(cfg, [
      `Host target`, `  HostName 127.0.0.1`, `  Port ${target.port}`, `  User ${LOGIN}`,
      `Host ojump`, `  HostName 127.0.0.1`, `  Port ${jump.port}`, `  User ${LOGIN}`,
      `Host via-openssh`, `  HostName 127.0.0.1`, `  Port ${target.port}`, `  User ${LOGIN}`, `  ProxyJump ojump`,
      `Host scriptb`, `  HostName 127.0.0.1`, `  Port ${scriptb.port}`, `  User ${LOGIN}`, `  RequestTTY force`,
      `Host bastion`, `  HostName 127.0.0.1`, `  Port ${bastion.port}`, `  User bench`,
      `Host via-fumidai`, `  HostName web1`, `  User ${LOGIN}`, `  ProxyJump bastion`,
      // BatchMode no: keyboard-interactive answers the "Verification code:" prompt (first values win over Host *).
      ...mfaUsers.flatMap((u) => [
        `Host bastion-${u.name}`, `  HostName 127.0.0.1`, `  Port ${bastion.port}`, `  User ${u.name}`, `  IdentityFile ${u.key}`,
        `  BatchMode no`, `  NumberOfPasswordPrompts 1`,
        `Host via-fumidai-${u.name}`, `  HostName web1`, `  User ${LOGIN}`, `  ProxyJump bastion-${u.name}`, `  IdentityFile ${u.key}`,
      ]),
      `Host *`, `  IdentityFile ${clientKey}`, `  IdentitiesOnly yes`, `  StrictHostKeyChecking no`,
      `  UserKnownHostsFile /dev/null`, `  BatchMode yes`, `  LogLevel ERROR`,
      ...(process.env.BENCH_CIPHERS ? [`  Ciphers ${process.env.BENCH_CIPHERS}`] : []), '',
    ].join('\n'));
    const sshdPid = (t: Target) => Number(readFileSync(join(t.dir, 'sshd.pid'), 'utf8'));
    /** CPU seconds each bastion has used so far (OpenSSH: its listener and every finished session under it). */
    const bastionCpu: Partial<Record<Route, () => { stop(): number }>> = {
      'openssh -J': () => sampleTreeCpu(sshdPid(jump)),
      'openssh + script': () => sampleTreeCpu(sshdPid(scriptb)),
      'fumidai -J': () => {
        const cpu0 = cpuSeconds(pid); // one process: its own counters are exact, worker threads included
        return { stop: () => cpuSeconds(pid) - cpu0 };
      },
    };
    const ssh = (route: Route, ...args: string[]) => ['-F', cfg, ...args.slice(0, -1), HOSTS[route], args.at(-1)!];

    // Correctness first: every route delivers exactly the bytes asked for (the script bastion goes through a pty).
    for (const r of ['direct', 'openssh -J', 'fumidai -J'] as Route[]) {
      const n = execFileSync('ssh', ssh(r, 'head -c 1000000 /dev/zero'), { maxBuffer: 1 << 22 }).length;
      if (n !== 1_000_000) throw new Error(`${r} delivered ${n} bytes instead of 1000000`);
    }
    if (!execFileSync('ssh', ssh('openssh + script', 'echo recorded'), { encoding: 'utf8' }).includes('recorded')) throw new Error('script bastion does not work');

    // Concurrency first, while fumidai's heap has not yet grown and shrunk with the throughput runs (its resident set
    // would fall while sessions open, and the growth per session read negative): N sessions at once through each
    // bastion, idle, then all printing; every byte checked.
    const conc: { route: Route; result: ConcResult }[] = [];
    if (wanted('conc')) {
      const recordings = join(bastion.data, 'recordings');
      const routes: Partial<Record<Route, ConcRoute>> = {
        'openssh -J': { sshArgs: (c) => ssh('openssh -J', '-tt', c), memoryKiB: () => treePssKiB(sshdPid(jump)).kib },
        'openssh + script': { sshArgs: (c) => ssh('openssh + script', c), memoryKiB: () => treePssKiB(sshdPid(scriptb)).kib, ...scriptOutputs(scriptb.logDir), afterRun: scriptb.killOrphans },
        'fumidai -J': { sshArgs: (c) => ssh('fumidai -J', '-tt', c), memoryKiB: () => rssMiB(pid) * 1024, ...castOutputs(recordings) },
      };
      const failed = new Set<Route>();
      // A first round of 10, not reported: fumidai's code for pty sessions is compiled and its pools allocated once.
      for (const r of (['fumidai -J', 'openssh -J', 'openssh + script'] as Route[]).filter(routeWanted)) await runConcurrency(routes[r]!, 10, CONC_BYTES);
      // The warm-up's recordings start fumidai's screen-indexing thread, which stops after a quiet minute; measured
      // from a baseline that held it, the growth per session read negative (-0.04 MiB) once opening took over a minute.
      if (routeWanted('fumidai -J')) await sleep(65_000);
      console.log(`concurrency: N sessions (${CONC.join(', ')}), idle, then each printing ${CONC_BYTES / 1024} KiB through its pty`);
      for (const n of CONC) {
        for (const r of (['fumidai -J', 'openssh -J', 'openssh + script'] as Route[]).filter(routeWanted)) {
          if (failed.has(r)) continue;
          const result = await runConcurrency(routes[r]!, n, CONC_BYTES);
          conc.push({ route: r, result });
          if (result.failure) failed.add(r);
          console.log(`  N=${String(n).padEnd(5)} ${r.padEnd(17)} ${concLine(result)}`);
        }
      }
    }

    const results: Record<string, Partial<Record<Route, Stats>>> = {};
    const cpu: Record<string, number> = {};
    const cpuByRoute: Record<string, Partial<Record<Route, number>>> = {};
    const measure = async (key: string, label: string, routes: Route[], reps: number, one: (r: Route) => Promise<number>, unit: string) => {
      if (!wanted(key)) return;
      console.log(label);
      results[key] = {};
      cpuByRoute[key] = {};
      for (const r of routes.filter(routeWanted)) {
        const cpu0 = cpuSeconds(pid);
        const bastion = bastionCpu[r]?.();
        const runs: number[] = [];
        const perRun: number[] = [];
        const io = () => Object.fromEntries(readFileSync(`/proc/${pid}/io`, 'utf8').trim().split('\n').map((l) => l.split(': ')).map(([k, v]) => [k, Number(v)]));
        const io0 = io();
        for (let i = 0; i < reps; i++) {
          const c = cpuSeconds(pid);
          runs.push(await one(r));
          perRun.push(cpuSeconds(pid) - c);
        }
        if (ONLY && r === 'fumidai -J') console.log(`  fumidai system calls: ${io().syscr! - io0.syscr!} reads, ${io().syscw! - io0.syscw!} writes`);
        if (r === 'fumidai -J') {
          cpu[key] = cpuSeconds(pid) - cpu0;
          if (ONLY) console.log(`  fumidai CPU per run: ${perRun.map((c) => fmt(c)).join(', ')} s`);
        }
        results[key]![r] = stats(runs);
        if (bastion) cpuByRoute[key]![r] = bastion.stop();
        const cpuNote = bastion && unit === 'MB/s' ? `; bastion CPU ${fmt(cpuByRoute[key]![r]!)} s for ${reps} runs` : '';
        console.log(`  ${r.padEnd(17)} ${fmtStats(results[key]![r]!, unit === 'ms' ? 0 : 1)} ${unit}${cpuNote}`);
      }
    };
    const all: Route[] = [...ROUTES];
    const heavyReps = Math.max(1, Math.floor(REPS / 2));
    await measure('setup', `connection setup (ssh HOST true), ${REPS} runs`, all, REPS, async (r) => (await timed('ssh', ssh(r, 'true'))) * 1000, 'ms');
    // The same `ssh -J bastion web1 true` by a user enrolled in TOTP: sshpass types oathtool's code (made before the
    // timer starts) at the prompt. Timed: sshpass, ssh and both hops with the prompt's round trip; nothing subtracted.
    let mfaRun = 0;
    await measure('setup-mfa', `connection setup with TOTP (sshpass typing an oathtool code into ssh -J, fumidai only), ${REPS} runs`, ['fumidai -J'], REPS, async () => {
      const u = mfaUsers[mfaRun++ % mfaUsers.length]!;
      const code = await freshCode(u);
      return (await timed('sshpass', sshpassArgs(code, ['-F', cfg, `via-fumidai-${u.name}`, 'true']))) * 1000;
    }, 'ms');
    if (mfaRun) {
      // Every run passed the second factor (sshpass would also succeed if no prompt came).
      const passed = (await bastion.waitForEvents('MfaSuccess', mfaRun, (e) => String(e.user).startsWith('bench-mfa-'))).length;
      if (passed !== mfaRun) throw new Error(`${passed} MfaSuccess events for ${mfaRun} logins with TOTP`);
    }
    await measure('exec', `exec: ${EXEC_MB} MB, ${heavyReps} runs`, ['direct', 'openssh -J', 'fumidai -J'], heavyReps,
      async (r) => EXEC_MB / (await timed('ssh', ssh(r, `head -c ${EXEC_MB}M /dev/zero`))), 'MB/s');
    // Through a pty, printable output (a terminal's kind of data), recorded by fumidai (asciicast) and by script.
    await measure('pty', `pty: ${PTY_MB} MB, ${heavyReps} runs`, all, heavyReps,
      async (r) => PTY_MB / (await timed('ssh', ssh(r, '-tt', `head -c ${Math.round((PTY_MB * 3) / 4)}M /dev/zero | base64`))), 'MB/s');
    const rss = rssMiB(pid);

    // scp of a random file to the target's disk (read after the resident memory above, which stays comparable with
    // runs from before this part). The script bastion's ForceCommand would swallow scp's SFTP subsystem: not measured.
    if (wanted('scp')) {
      const src = await makeScpSource(bastion.dir, SCP_MB);
      const destDir = scpDestDir(target.dir);
      const checked = new Set<Route>(); // sha256 of the first copy per route, size of every one
      try {
        await measure('scp', `scp: ${SCP_MB} MB file of random bytes to the target's disk, ${heavyReps} runs`, ['direct', 'openssh -J', 'fumidai -J'], heavyReps, async (r) => {
          const seconds = await scpOnce(['-F', cfg], HOSTS[r], src, destDir, !checked.has(r));
          checked.add(r);
          return SCP_MB / seconds;
        }, 'MB/s');
      } finally {
        rmSync(src.path, { force: true });
      }
    }

    // Keystroke echo: one character at a time into a recorded interactive session, timed until it is shown.
    const echo: Partial<Record<Route, { p50: number; p99: number }>> = {};
    if (wanted('echo')) {
      console.log(`keystroke echo latency, ${KEYS} keystrokes 10 ms apart (p50 / p99)`);
      for (const r of all.filter(routeWanted)) {
        const ms = await echoLatencies(ssh(r, '-tt', ECHO_COMMAND), KEYS, 10);
        echo[r] = { p50: percentile(ms, 50), p99: percentile(ms, 99) };
        console.log(`  ${r.padEnd(17)} ${fmt(echo[r]!.p50, 2)} / ${fmt(echo[r]!.p99, 2)} ms`);
      }
    }

    if (wanted('silent') && routeWanted('fumidai -J')) {
      const s = await silentFloodLogins(bastion.port, SILENT, REPS, async () => (await timed('ssh', ssh('fumidai -J', 'true'))) * 1000);
      console.log(`login (ssh -J bastion web1 true), ${REPS} runs: quiet ${fmtStats(s.quiet, 0)} ms; during a flood of ${s.opened} silent sockets from 4 addresses ${fmtStats(s.flood, 0)} ms`);
    }

    if (ONLY && !ONLY.has('flood')) {
      for (const [k, c] of Object.entries(cpu)) console.log(`fumidai CPU during ${k}: ${fmt(c)} s`);
      if (process.env.BENCH_CHUNKS) {
        // How the target's output arrived: events per recording and their mean size (a diagnostic for the relay).
        execFileSync('sh', ['-c', `for f in $(find ${join(bastion.data, 'recordings')} -name '*.cast'); do echo "$f $(wc -l < $f) lines $(stat -c %s $f) bytes"; done`], { stdio: 'inherit' });
      }
      return;
    }

    // Brute force: login time while flooders from another address hammer the bastion with unknown keys.
    const { priv: stranger } = await keygen(join(bastion.dir, 'stranger'));
    const flood = (host: string) => {
      for (let i = 0; i < FLOODERS; i++) {
        const loop = `while :; do ssh -F ${cfg} -o BindAddress=127.0.0.2 -i ${stranger} -o ConnectTimeout=5 ${host} true >/dev/null 2>&1; done`;
        flooders.push(spawn('sh', ['-c', loop], { stdio: 'ignore', detached: true }));
      }
    };
    const stopFlood = () => {
      for (const f of flooders.splice(0)) {
        try {
          process.kill(-f.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };
    const loginUnderFlood = async (r: Route, host: string) => {
      flood(host);
      await new Promise((res) => setTimeout(res, 2000));
      const runs: number[] = [];
      for (let i = 0; i < REPS; i++) runs.push((await timed('ssh', ssh(r, 'true'))) * 1000);
      stopFlood();
      return stats(runs);
    };
    console.log(`login during a flood of ${FLOODERS} parallel unknown-key clients from 127.0.0.2, ${REPS} runs`);
    results.flood = { 'openssh -J': await loginUnderFlood('openssh -J', 'ojump'), 'fumidai -J': await loginUnderFlood('fumidai -J', 'bastion') };
    console.log(`  openssh -J        ${fmtStats(results.flood['openssh -J']!, 0)} ms\n  fumidai -J        ${fmtStats(results.flood['fumidai -J']!, 0)} ms`);

    const native = existsSync(join(ROOT, 'node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node'));
    const sshVersion = execFileSync('sh', ['-c', 'ssh -V 2>&1'], { encoding: 'utf8' }).trim();
    const md = writeReport(join(ROOT, 'BENCHMARKS.md'), {
      sshVersion, build, nativeBinding: native, load: [load0, loadavg()[0]!], results, cpu, cpuByRoute, rssMiB: rss, echo, conc,
      sizes: { execMB: EXEC_MB, ptyMB: PTY_MB, scpMB: SCP_MB, reps: REPS, heavyReps, flooders: FLOODERS, keys: KEYS, concKiB: CONC_BYTES / 1024 },
    });
    console.log('\n' + md.split('\n').filter((l) => l.startsWith('- ')).join('\n'));
    console.log('wrote BENCHMARKS.md');
  } finally {
    await cleanup();
  }
}

function concLine(c: ConcResult): string {
  const rec = c.recordingsExact === undefined ? 'not recorded' : `${c.recordingsExact}/${c.recordings} recordings exact`;
  return `${c.opened} up; idle ${fmt(c.idleKiBPerSession / 1024, 2)} MiB/session; busy peak ${fmt(c.busyPeakKiBPerSession / 1024, 2)} MiB/session, ${fmt(c.busySeconds)} s; ${c.clientsExact}/${c.n} clients exact; ${rec}${c.failure ? `; FAILED: ${c.failure}` : ''}`;
}

main().catch((err) => {
  console.error(`bench failed: ${err.message}`);
  process.exit(1);
});
