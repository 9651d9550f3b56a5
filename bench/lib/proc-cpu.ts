// CPU used by a process tree while something runs: an OpenSSH bastion is a listener that forks a process (or several)
// per session, and its children's time is not reliably added to the listener's (a session's sshd can end without
// being waited for in the way that counts it), so the tree is sampled instead. Every SAMPLE_MS each process's user
// and system time is read; a process first seen during the measure counts from zero. The last few milliseconds of a
// process that ends between samples are missed, so the figure leans in OpenSSH's favour.
import { readFileSync } from 'node:fs';
import { processTree } from './proc-mem.js';

const SAMPLE_MS = 100;
const CLK_TCK = 100;

/** utime + stime in seconds, and the start time that tells a process from a later one with the same pid. */
function times(pid: number): { cpu: number; start: string } | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, start: f[19]! };
  } catch {
    return undefined; // ended while we looked
  }
}

/** Starts sampling the tree under `root`; `stop()` returns the CPU seconds it used since. */
export function sampleTreeCpu(root: number): { stop(): number } {
  const baseline = new Map<string, number>();
  const latest = new Map<string, number>();
  const sample = (first: boolean) => {
    for (const pid of processTree(root)) {
      const t = times(pid);
      if (!t) continue;
      const key = `${pid}@${t.start}`;
      if (!baseline.has(key)) baseline.set(key, first ? t.cpu : 0);
      latest.set(key, t.cpu);
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      sample(false);
      let total = 0;
      for (const [key, cpu] of latest) total += cpu - baseline.get(key)!;
      return total;
    },
  };
}
