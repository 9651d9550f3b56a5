// The output of this node's live terminal channels, for watchers in the same process (the web console's live view).
// A channel's recording publishes each piece of output as it records it; with nobody watching that is one size check.
// A watcher never slows the session: what it has not taken yet (its queue while it starts, then what its transport
// holds) is bounded, and a watcher past the bound is dropped, never waited for.

export type LiveEvent = { kind: 'output'; data: Buffer } | { kind: 'resize'; cols: number; rows: number };

export interface LiveWatcher {
  /** Takes one event now; must not block. */
  send(event: LiveEvent): void;
  /** Bytes sent to it and not delivered yet (a websocket's bufferedAmount): they count toward its bound. */
  backlog(): number;
  /** The feed is done with it, once: the channel ended, or it fell too far behind. */
  end(why: 'ended' | 'too slow'): void;
}

/** What a recording tells the feed about itself. */
export interface LiveSource {
  cols: number;
  rows: number;
  /** The recording file. */
  path: string;
  /** Bytes handed to the recording file so far (written or still buffered). */
  position(): number;
  /** Writes out what is buffered. */
  flush(): Promise<void>;
}

/** A watch that has begun: the screen so far is in the recording's first `upTo` bytes; what follows comes as events. */
export interface LiveStart {
  cols: number;
  rows: number;
  path: string;
  upTo: number;
  /** Resolves once the file holds at least `upTo` bytes (or `position()` as it was when called). */
  flushed(): Promise<void>;
  /** The recording's position now, and the terminal's size now: for a later screen. */
  position(): number;
  size(): { cols: number; rows: number };
  /** The screen so far was sent: the events queued meanwhile go out, then each as it comes. */
  go(): void;
  stop(): void;
}

/** Events that are not output count this much toward a bound. */
const EVENT_COST = 16;

interface Viewer {
  /** Events held while the watcher builds the screen so far; undefined once it is live. */
  queue: LiveEvent[] | undefined;
  queued: number;
}

export class LiveChannel {
  readonly #viewers = new Map<LiveWatcher, Viewer>();
  #source: LiveSource;
  #maxBytes: number;
  #closed = false;
  #onClose: () => void;

  constructor(source: LiveSource, maxBytes: number, onClose: () => void) {
    this.#source = source;
    this.#maxBytes = maxBytes;
    this.#onClose = onClose;
  }

  get watchers(): number {
    return this.#viewers.size;
  }

  output(data: Buffer): void {
    if (this.#viewers.size === 0) return;
    this.#publish({ kind: 'output', data }, data.length);
  }

  resize(cols: number, rows: number): void {
    this.#source.cols = cols;
    this.#source.rows = rows;
    if (this.#viewers.size) this.#publish({ kind: 'resize', cols, rows }, EVENT_COST);
  }

  watch(watcher: LiveWatcher): LiveStart | undefined {
    if (this.#closed) return undefined;
    const viewer: Viewer = { queue: [], queued: 0 };
    this.#viewers.set(watcher, viewer);
    const s = this.#source;
    return {
      cols: s.cols,
      rows: s.rows,
      path: s.path,
      upTo: s.position(),
      flushed: () => s.flush(),
      position: () => s.position(),
      size: () => ({ cols: s.cols, rows: s.rows }),
      go: () => {
        const queue = viewer.queue;
        if (!queue || !this.#viewers.has(watcher)) return;
        viewer.queue = undefined;
        viewer.queued = 0;
        for (const e of queue) watcher.send(e);
      },
      stop: () => void this.#viewers.delete(watcher),
    };
  }

  /** The channel ended: every watcher is told, and the feed forgets it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    for (const w of [...this.#viewers.keys()]) this.#drop(w, 'ended');
  }

  #publish(event: LiveEvent, bytes: number): void {
    for (const [w, v] of this.#viewers) {
      if (v.queue) {
        if (v.queued + bytes > this.#maxBytes) this.#drop(w, 'too slow');
        else {
          // A copy: the piece goes on to the client meanwhile, and the queue may wait for a while.
          v.queue.push(event.kind === 'output' ? { kind: 'output', data: Buffer.from(event.data) } : event);
          v.queued += bytes;
        }
      } else if (w.backlog() + bytes > this.#maxBytes) this.#drop(w, 'too slow');
      else w.send(event);
    }
  }

  #drop(w: LiveWatcher, why: 'ended' | 'too slow'): void {
    this.#viewers.delete(w);
    try {
      w.end(why);
    } catch {
      // a watcher's failure stays its own: the session and the other watchers go on
    }
  }
}

/** A terminal recording just sealed, for work that follows it (the console's replay index). */
export interface SealedRecording {
  auditKey: string;
  channel: number;
  path: string;
  sha256: string;
  bytes: number;
}

export class LiveFeed {
  readonly #channels = new Map<string, LiveChannel>();
  readonly #sealed: ((r: SealedRecording) => void)[] = [];
  readonly maxBytes: number;

  /** `maxBytes`: what one watcher may have outstanding before it is dropped. */
  constructor(maxBytes = 2 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }

  /** A terminal channel's recording opens; close() the result when it ends. */
  open(auditKey: string, channel: number, source: LiveSource): LiveChannel {
    const key = `${auditKey}/${channel}`;
    const ch = new LiveChannel(source, this.maxBytes, () => {
      if (this.#channels.get(key) === ch) this.#channels.delete(key);
    });
    this.#channels.set(key, ch);
    return ch;
  }

  /** The channels of a session that can be watched on this node, in order. */
  channels(auditKey: string): number[] {
    const prefix = `${auditKey}/`;
    return [...this.#channels.keys()].filter((k) => k.startsWith(prefix)).map((k) => Number(k.slice(prefix.length))).sort((a, b) => a - b);
  }

  /** Starts watching one channel; undefined when it is not live on this node. */
  watch(auditKey: string, channel: number, watcher: LiveWatcher): LiveStart | undefined {
    return this.#channels.get(`${auditKey}/${channel}`)?.watch(watcher);
  }

  /** Calls `listener` after each terminal recording is sealed in this process. */
  onSealed(listener: (r: SealedRecording) => void): void {
    this.#sealed.push(listener);
  }

  /** A terminal recording was sealed: its listeners run later, never inside the session's sealing. */
  sealed(r: SealedRecording): void {
    for (const l of this.#sealed) setImmediate(() => {
      try {
        l(r);
      } catch {
        // work that follows a seal is best effort: the recording and its event are already safe
      }
    });
  }
}
