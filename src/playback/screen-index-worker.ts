// The worker thread of ScreenIndexPool: takes recording paths, answers with their screen snapshots. It lowers its own
// scheduling priority first (Linux applies it to this thread alone), so indexing only uses CPU the relay leaves.
import { readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { inputEventsOf } from './cast-scan.js';
import { screenSnapshotsOfFile } from './screen-index.js';
import { typedLinesAt } from './typed-lines.js';
import type { WorkerReply } from './screen-index-pool.js';

// libuv's thread pool is shared by the whole process and its threads inherit the nice value of the thread that starts
// them: make sure it exists before this thread is lowered, or the relay's own file writes would run at nice 10.
await stat('/');
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(tid, 10);
} catch {
  // not Linux, or not allowed: index at normal priority
}

// The typed lines go with the screens, marked: one reply, one transaction in the store.
const indexedText = async (path: string) => {
  const [screens, inputs] = await Promise.all([screenSnapshotsOfFile(path), inputEventsOf(path)]);
  return [...screens, ...typedLinesAt(inputs).map((l) => ({ ...l, kind: 'typed' as const }))];
};

parentPort!.on('message', (path: string) => {
  indexedText(path).then(
    (rows) => parentPort!.postMessage({ rows } satisfies WorkerReply),
    (err: Error) => parentPort!.postMessage({ error: err.message } satisfies WorkerReply),
  );
});
