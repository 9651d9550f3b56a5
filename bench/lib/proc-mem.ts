// Memory of processes from /proc: resident set of one process, proportional set size summed over a process tree
// (what a tree of forked sshd processes really costs: shared pages are split between the processes that share them).
import { readdirSync, readFileSync } from 'node:fs';

/** Children of every process, from /proc/PID/stat (ppid is the field after the state). */
function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = map.get(ppid) ?? [];
      list.push(Number(name));
      map.set(ppid, list);
    } catch {
      // exited while we looked
    }
  }
  return map;
}

/** The process and all its descendants. */
export function processTree(root: number): number[] {
  const children = childrenMap();
  const all: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    all.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return all;
}

/** Sum of Pss over the tree, in KiB, with the number of processes counted. */
export function treePssKiB(root: number): { kib: number; processes: number } {
  let kib = 0;
  let processes = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) {
        kib += Number(m[1]);
        processes++;
      }
    } catch {
      // exited while we looked
    }
  }
  return { kib, processes };
}

/** MemAvailable of the machine, in MiB. */
export function memAvailableMiB(): number {
  const m = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
