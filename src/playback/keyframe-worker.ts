// The worker thread of KeyframeCache: the two passes over one recording (keyframes.ts), each result posted as soon as
// it is known, at a lowered scheduling priority (as the screen text worker: replay indexing uses what the relay leaves).
import { readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { forEachLines } from './cast-scan.js';
import { KeyframeTaker, TimeScanner, type Snapshot, type TimeIndex } from './keyframes.js';

export type KeyframeMessage = { time: TimeIndex } | { k: number; snapshot: Snapshot } | { done: true } | { error: string };

// libuv's thread pool must exist before this thread is lowered: its threads inherit the nice value (see the screen
// text worker).
await stat('/');
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
} catch {
  // not Linux, or not allowed: index at normal priority
}

const { path } = workerData as { path: string };
const post = (m: KeyframeMessage) => parentPort!.postMessage(m);
try {
  const { size } = await stat(path);
  const scanner = new TimeScanner();
  await forEachLines(path, (b) => scanner.lines(b));
  const time = scanner.finish(size);
  post({ time });
  const taker = new KeyframeTaker(time, (k, snapshot) => post({ k, snapshot }));
  await forEachLines(path, (b) => taker.lines(b));
  await taker.finish();
  post({ done: true });
} catch (err) {
  post({ error: (err as Error).message });
}
