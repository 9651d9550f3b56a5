// Session index writes made after the fact (a channel sealed, a session closed, a file operation, screen text) must
// not be lost when the store is briefly away, and must not hold up anyone. A write that fails waits in a queue, in
// order, and the queue is retried every few seconds until it drains. The recording and the audit trail (local files)
// are the record meanwhile; the index catches up. If the process stops first, the next start marks the session
// interrupted, as after a crash.
import type { Logger } from 'pino';

interface Write {
  what: string;
  run: () => Promise<unknown>;
}

export class IndexWrites {
  #queue: Write[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<boolean> | undefined;
  #log: Logger;
  #retryMs: number;

  constructor(log: Logger, retryMs = 2000) {
    this.#log = log;
    this.#retryMs = retryMs;
  }

  /** Writes waiting for the store. */
  get pending(): number {
    return this.#queue.length;
  }

  /** Runs the write now, or after those already waiting (a session's writes keep their order); never throws. */
  async write(what: string, run: () => Promise<unknown>): Promise<void> {
    if (!this.#queue.length) {
      try {
        await run();
        return;
      } catch (err) {
        this.#log.warn({ what, err: (err as Error).message }, 'store write failed; kept and retried until the store answers');
      }
    }
    this.#queue.push({ what, run });
    this.#timer ??= setInterval(() => void this.drain(), this.#retryMs).unref();
  }

  /** Retries what is waiting, in order, up to the first write that still fails; true when nothing is left. */
  drain(): Promise<boolean> {
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
    return this.#draining;
  }

  async #drain(): Promise<boolean> {
    const waiting = this.#queue.length;
    while (this.#queue.length) {
      try {
        await this.#queue[0]!.run();
      } catch {
        return false;
      }
      this.#queue.shift();
    }
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (waiting) this.#log.info({ writes: waiting }, 'store answers again; the session index caught up');
    return true;
  }
}
