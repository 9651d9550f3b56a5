// When the checkpoints waiting for an anchor pass a threshold, the window in which history can be cut unseen has
// grown past what the site accepts: that is an event (once on the way up, once when the backlog has drained), not a
// log line per round.
export type BacklogTransition = 'over' | 'cleared';

export class BacklogAlarm {
  readonly threshold: number;
  #over = false;

  constructor(threshold: number) {
    this.threshold = threshold;
  }

  /** The transition this count makes, if any: past the threshold, or back to nothing waiting after being past it. */
  observe(waiting: number): BacklogTransition | undefined {
    if (!this.#over && waiting > this.threshold) return (this.#over = true), 'over';
    if (this.#over && waiting === 0) return (this.#over = false), 'cleared';
    return undefined;
  }
}
