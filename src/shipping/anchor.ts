// What every anchor of the audit trail offers the server: it sends the staged checkpoints (src/audit/anchor-stage.ts)
// in order, oldest first, says what still waits, and reports each round. The server holds a list of them (the
// bucket, a remote syslog), each with its own account of what it has sent, so one staged file serves them all.
import { statSync, unlinkSync } from 'node:fs';

export interface AnchorRound {
  shipped: number;
  /** Anchors still waiting, and why the first of them could not go. */
  backlog: number;
  error?: string;
}

export interface Anchor {
  /** Where it anchors, for log lines: `bucket` or `syslog`. */
  readonly name: 'bucket' | 'syslog';
  onRound: (r: AnchorRound) => void;
  /** Sends every waiting checkpoint, oldest first, stopping at the first that fails (order is kept). */
  flush(): Promise<AnchorRound>;
  /** Resolves once everything staged so far has been sent, or has failed to be. */
  settled(): Promise<AnchorRound>;
  /** Paths of the staged checkpoints it has not sent yet. */
  waiting(): Promise<string[]>;
  /** Paths of staged checkpoints it has sent for good (a staged file not yet taken up is in neither list). */
  sent(): Promise<Set<string>>;
  stop(): void;
}

/** Runs rounds one at a time: a flush asked for during a round gets one more round after it. */
export class Rounds {
  #round: () => Promise<AnchorRound>;
  #running: Promise<AnchorRound> | undefined;
  #again = false;

  constructor(round: () => Promise<AnchorRound>) {
    this.#round = round;
  }

  flush(): Promise<AnchorRound> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#round().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        void this.flush();
      }
    });
    return this.#running;
  }

  async settled(): Promise<AnchorRound> {
    await this.#running;
    return this.flush();
  }
}

/** Staged checkpoints not yet sent by every anchor: each counted once, however many anchors still owe it. */
export async function unanchored(anchors: readonly Anchor[]): Promise<number> {
  return new Set((await Promise.all(anchors.map((a) => a.waiting()))).flat()).size;
}

/**
 * Removes staged checkpoints that every anchor has sent, once they are `olderThanMs` old (a syslog connection that
 * breaks sends its last minute again, from these files). Without this the staging folder would gain a file per
 * second of activity for ever. Returns how many went.
 */
export async function pruneStaged(anchors: readonly Anchor[], staged: { path: string }[], olderThanMs: number, now = Date.now()): Promise<number> {
  if (!anchors.length) return 0;
  const sent = await Promise.all(anchors.map((a) => a.sent()));
  let removed = 0;
  for (const { path } of staged) {
    if (!sent.every((s) => s.has(path))) continue;
    try {
      if (now - statSync(path).mtimeMs < olderThanMs) continue;
      unlinkSync(path);
      removed++;
    } catch {
      // gone already, or not ours to remove: the next round looks again
    }
  }
  return removed;
}
