// N concurrent recorded sessions through one route. Each session is a stock ssh client with a remote pty running
// `echo READY; read x; <print a known amount>; echo DONE; exec sleep`: once all N are READY they are idle (memory is
// read then), then each is sent a line and all print at once (busy: peak memory, time), then every client's output
// and every recording is compared with the exact bytes expected. The first N where a session cannot be opened, or a
// byte is missing, is where the route fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { memAvailableMiB } from './proc-mem.js';

export interface ConcRoute {
  /** ssh arguments for a session running `command` on the target (host and command last). */
  sshArgs(command: string): string[];
  /** KiB the bastion holds now (fumidai: RSS; OpenSSH: PSS over the process tree). */
  memoryKiB(): number;
  /** Called before the sessions open; `recorded` then returns the output recorded for the sessions opened since. */
  mark?(): void;
  recorded?(): Buffer[];
  /** Called once the run's clients are gone, to clear what the bastion left behind. */
  afterRun?(): void;
}

export interface ConcResult {
  n: number;
  opened: number;
  /** Why the route failed at this N (undefined when it held). */
  failure?: string;
  idleKiBPerSession: number;
  busyPeakKiBPerSession: number;
  busySeconds: number;
  /** Sessions whose client received exactly the expected bytes. */
  clientsExact: number;
  /** Recordings holding exactly the expected bytes (undefined for an unrecorded route). */
  recordingsExact?: number;
  recordings?: number;
}

/** Connections being set up at once: below the target sshd's MaxStartups and kind to a shared machine. */
const OPENING_AT_ONCE = 16;
/** The run stops rather than push the machine (shared with others) into swapping or the OOM killer. */
const MIN_FREE_MIB = 3072;

/** Every client process of the run in progress, so an interrupted benchmark can stop them (see stopAllClients). */
const live = new Set<ChildProcess>();

/** Kills the clients of a run in progress (the benchmark was interrupted). */
export function stopAllClients(): void {
  for (const c of live) c.kill('SIGKILL');
}

interface Client {
  child: ChildProcess;
  out: Buffer[];
  bytes: number;
  stderr: string;
  exited: boolean;
  ready: boolean;
}

async function until(cond: () => boolean, timeoutMs: number, tick = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(tick);
  }
  return true;
}

/** The bytes a client (and a recording) must hold: pty output, so every newline arrives as CR LF. */
export function expectedOutput(printBytes: number): Buffer {
  const b64 = execFileSync('sh', ['-c', `head -c ${printBytes} /dev/zero | base64`]);
  return Buffer.from(`READY\ngo\n${b64.toString('latin1')}DONE\n`.replaceAll('\n', '\r\n'), 'latin1');
}

/** Pseudo-terminals in use on the machine, against its limit: each session holds one on the target, and more on a bastion that records with `script`. */
function ptysInUse(): string {
  const read = (f: string) => readFileSync(`/proc/sys/kernel/pty/${f}`, 'utf8').trim();
  try {
    return `pseudo-terminals in use: ${read('nr')} of ${read('max')}, ${read('reserve')} of them reserved for the host's initial namespace`;
  } catch {
    return 'pseudo-terminals in use: unknown';
  }
}

export async function runConcurrency(route: ConcRoute, n: number, printBytes: number): Promise<ConcResult> {
  const command = `echo READY; read x; head -c ${printBytes} /dev/zero | base64; echo DONE; exec sleep 3600`;
  const expected = expectedOutput(printBytes);
  const clients: Client[] = [];
  const result: ConcResult = { n, opened: 0, idleKiBPerSession: NaN, busyPeakKiBPerSession: NaN, busySeconds: NaN, clientsExact: 0 };
  const before = route.memoryKiB();
  route.mark?.();
  try {
    // Open: at most OPENING_AT_ONCE connections in setup at a time; each is up when READY is shown.
    const open = (): Client => {
      const child = spawn('ssh', route.sshArgs(command), { stdio: ['pipe', 'pipe', 'pipe'] });
      const c: Client = { child, out: [], bytes: 0, stderr: '', exited: false, ready: false };
      child.stdout!.on('data', (d: Buffer) => {
        c.out.push(d);
        c.bytes += d.length;
        c.ready ||= Buffer.concat(c.out).includes('READY');
      });
      child.stderr!.on('data', (d) => (c.stderr += d));
      child.stdin!.on('error', () => undefined);
      live.add(child);
      child.on('exit', () => ((c.exited = true), live.delete(child)));
      child.on('error', (err) => ((c.stderr += err.message), (c.exited = true)));
      clients.push(c);
      return c;
    };
    const opening = new Set<Client>();
    for (let i = 0; i < n && !result.failure; i++) {
      await until(() => {
        for (const c of opening) {
          if (c.exited) result.failure = `session ${clients.indexOf(c) + 1} of ${n} ended before it was up: ${c.stderr.trim().split('\n').at(-1) || 'no message'}`;
          if (c.exited || c.ready) opening.delete(c);
        }
        return opening.size < OPENING_AT_ONCE || !!result.failure;
      }, 60_000, 10);
      if (result.failure) break;
      if (opening.size >= OPENING_AT_ONCE) {
        result.failure = `no session up within 60 s after ${clients.length} were started`;
        break;
      }
      if (memAvailableMiB() < MIN_FREE_MIB) {
        result.failure = `the machine ran low on memory (${Math.round(memAvailableMiB())} MiB available) after ${clients.length} sessions`;
        break;
      }
      opening.add(open());
    }
    if (!result.failure && !(await until(() => clients.every((c) => c.exited || c.ready), 60_000))) {
      result.failure = 'some sessions never came up within 60 s';
    }
    result.opened = clients.filter((c) => !c.exited && c.ready).length;
    if (!result.failure && result.opened < n) {
      const dead = clients.find((c) => c.exited);
      result.failure = `${n - result.opened} sessions ended early: ${dead?.stderr.trim().split('\n').at(-1) ?? ''}`;
    }
    if (result.failure) {
      result.failure += ` (${ptysInUse()})`;
      return result;
    }

    await sleep(2000); // settle: buffers of the setup freed, recording headers flushed
    result.idleKiBPerSession = (route.memoryKiB() - before) / n;

    // Busy: every session prints at once.
    const start = Date.now();
    for (const c of clients) c.child.stdin!.write('go\n');
    let peak = 0;
    const done = await until(() => {
      peak = Math.max(peak, route.memoryKiB());
      return clients.every((c) => c.exited || c.bytes >= expected.length);
    }, 600_000, 250);
    result.busySeconds = (Date.now() - start) / 1000;
    result.busyPeakKiBPerSession = (peak - before) / n;
    await sleep(1500); // recordings are flushed at least every second
    result.clientsExact = clients.filter((c) => Buffer.concat(c.out).equals(expected)).length;
    if (route.recorded) {
      const recs = route.recorded();
      result.recordings = recs.length;
      result.recordingsExact = recs.filter((r) => r.equals(expected)).length;
    }
    if (!done) result.failure = 'not every session finished printing within 10 minutes';
    else if (result.clientsExact < n) result.failure = `${n - result.clientsExact} clients did not receive exactly the bytes printed`;
    else if (result.recordingsExact !== undefined && result.recordingsExact < n) result.failure = `${n - result.recordingsExact} recordings do not hold exactly the bytes shown`;
    return result;
  } finally {
    for (const c of clients) if (!c.exited) c.child.kill('SIGTERM');
    await until(() => clients.every((c) => c.exited), 20_000);
    for (const c of clients) if (!c.exited) c.child.kill('SIGKILL');
    route.afterRun?.();
    await sleep(3000); // the bastions and the target wind the sessions down before the next run
  }
}
