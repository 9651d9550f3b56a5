// Keystroke echo latency through a route: echo_drive.py types into `ssh -tt HOST 'stty -icanon -echo; exec cat'` in a
// real pseudo-terminal, one character at a time, and times each round trip (client, bastion, target and back).
import { join } from 'node:path';
import { run } from '../../test/helpers/proc.js';
import { ROOT } from '../../test/helpers/fumidai.js';

const DRIVER = join(ROOT, 'bench/lib/echo_drive.py');
/** The remote end echoes each byte as it arrives, as a shell's line editor does. */
export const ECHO_COMMAND = 'stty -icanon -echo min 1 time 0; exec cat';

/** Milliseconds of each keystroke's round trip; `sshArgs` end with the host and the command. */
export async function echoLatencies(sshArgs: string[], keys: number, pauseMs: number): Promise<number[]> {
  const r = await run('python3', [DRIVER, String(keys), String(pauseMs), '--', 'ssh', ...sshArgs], { timeoutMs: 60_000 + keys * (pauseMs + 50) });
  if (r.code !== 0) throw new Error(`echo latency driver failed (${r.code}): ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { ms: number[] }).ms;
}
