// In-process cost of shell rules on a terminal (after `npx tsc`: node dist/bench/shell-line.js): what the line gate
// adds per output chunk (200 MB of base64 in 32 KiB chunks, as the pty run relays it), and how long an Enter waits for
// its line (the screen fed and read, the policy decided) at a prompt after some output.
import { performance } from 'node:perf_hooks';
import { ShellScreen } from '../src/playback/shell-screen.js';
import { decideLine } from '../src/policy/command-rules.js';
import { EMPTY_POLICY, type PolicyDocument } from '../src/policy/types.js';

const MB = Number(process.env.BENCH_PTY_MB ?? 200);
const chunk = Buffer.from(Buffer.alloc(24 * 1024, 7).toString('base64').replace(/(.{76})/g, '$1\r\n'));
const doc: PolicyDocument = { ...EMPTY_POLICY, commands: [{ name: 'no-curl', on: 'shell', action: 'terminate', match: { program: ['curl'] } }] };
const ctx = { user: 'alice', groups: [], target: 'web1', labels: {}, login: 'root' };

const screen = new ShellScreen(80, 24);
// Two rounds: the first warms the emulator and the engine up (a node's first terminal line), the second is reported.
for (const round of [1, 2]) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let sent = 0; sent < MB * 1024 * 1024; sent += chunk.length) screen.output(chunk);
  const cpu = process.cpuUsage(cpu0);
  const waits: number[] = [];
  for (let i = 0; i < 200; i++) {
    screen.output(Buffer.from(`${'some output line\r\n'.repeat(20)}user@web1:~$ `));
    screen.lineStarts();
    screen.output(Buffer.from(`cu""rl http://example/${i}`));
    const t = performance.now();
    const line = await screen.line();
    decideLine(doc, ctx, line ?? '');
    waits.push(performance.now() - t);
  }
  if (round === 1) continue;
  console.log(`output path: ${MB} MB in ${chunk.length}-byte chunks, ${(performance.now() - t0).toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU`);
  const first = waits.shift()!; // the first feeds the last 16 KiB of the flood through the emulator
  waits.sort((a, b) => a - b);
  console.log(`Enter to decision: first after the flood ${first.toFixed(2)} ms; then p50 ${waits[99]!.toFixed(3)} ms, p99 ${waits[197]!.toFixed(2)} ms (199 lines)`);
}
screen.dispose();
