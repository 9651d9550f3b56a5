// What every anchor of the audit trail offers the server: it sends the staged checkpoints (src/audit/anchor-stage.ts)
// in order, oldest first, says what still waits, and reports each round. The server holds a list of them (the
// bucket, a remote syslog), each with its own account of what it has sent, so one staged file serves them all.
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
