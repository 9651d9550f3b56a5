// Anchoring the audit trail in a remote syslog, for sites whose SIEM is their record of truth. Every staged
// checkpoint goes, in order, oldest first, as one RFC 5424 message over one long-lived TCP (or TLS) connection. What
// it has sent is kept per chain in `<anchors>/<chain>/.syslog-sent` (the newest seq), so the staged files stay for the
// other anchors, and what waits survives an outage and a restart. "Sent" can only mean the kernel took the bytes: TCP
// tells a program nothing of what the peer's application read. So when a connection breaks, the checkpoints written
// on it in the last minute are sent again on the next one (a SIEM may then hold one twice; verify takes that).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { listStaged } from '../audit/anchor-stage.js';
import { Rounds, type Anchor, type AnchorRound } from './anchor.js';
import { openLink, writeTo, type SyslogTarget } from './syslog-link.js';
import { checkpointMessage, frame, type SyslogSender } from './syslog-message.js';

export const SENT_FILE = '.syslog-sent';

export interface SyslogAnchorOptions {
  target: SyslogTarget;
  sender: SyslogSender;
  /** The staging directory. */
  dir: string;
  /** Reconnect backoff: first and longest wait (ms). */
  backoffMs?: { min: number; max: number };
  /** How far back a broken connection's checkpoints are sent again (ms). */
  resendMs?: number;
}

export class SyslogAnchor implements Anchor {
  readonly name = 'syslog';
  onRound: (r: AnchorRound) => void = () => undefined;
  #o: Required<SyslogAnchorOptions>;
  #rounds = new Rounds(() => this.#round());
  #sent = new Map<string, number>();
  #socket: Socket | undefined;
  /** What went on the current connection, for sending again if it breaks. */
  #written: { chain: string; seq: number; at: number }[] = [];
  #backoff: number;
  #retry: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #stopped = false;

  constructor(o: SyslogAnchorOptions) {
    this.#o = { backoffMs: { min: 500, max: 30_000 }, resendMs: 60_000, ...o };
    this.#backoff = this.#o.backoffMs.min;
  }

  flush(): Promise<AnchorRound> {
    return this.#rounds.flush();
  }

  settled(): Promise<AnchorRound> {
    return this.#rounds.settled();
  }

  async waiting(): Promise<string[]> {
    return this.#pending().map((s) => s.path);
  }

  async sent(): Promise<Set<string>> {
    const waiting = new Set(this.#pending().map((s) => s.path));
    return new Set(listStaged(this.#o.dir).filter((s) => !waiting.has(s.path)).map((s) => s.path));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#socket?.end();
  }

  /** The newest seq of a chain sent so far (0: none). */
  #sentOf(chain: string): number {
    if (!this.#sent.has(chain)) {
      const file = join(this.#o.dir, chain, SENT_FILE);
      const n = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0;
      this.#sent.set(chain, Number.isSafeInteger(n) && n > 0 ? n : 0);
    }
    return this.#sent.get(chain)!;
  }

  #setSent(chain: string, seq: number): void {
    const file = join(this.#o.dir, chain, SENT_FILE);
    writeFileSync(`${file}.tmp`, `${seq}\n`, { mode: 0o640 });
    renameSync(`${file}.tmp`, file);
    this.#sent.set(chain, seq);
  }

  #pending() {
    return listStaged(this.#o.dir, (chain) => this.#sentOf(chain));
  }

  async #round(): Promise<AnchorRound> {
    const waiting = this.#pending();
    if (this.#stopped || !waiting.length) return { shipped: 0, backlog: waiting.length };
    // Between retries new checkpoints only wait: the backoff decides when the syslog is tried again.
    if (this.#retry) return { shipped: 0, backlog: waiting.length, ...(this.#lastError ? { error: this.#lastError } : {}) };
    let shipped = 0;
    try {
      const socket = (this.#socket ??= this.#watch(await openLink(this.#o.target)));
      for (const s of waiting) {
        const line = (await readFile(s.path, 'utf8')).trimEnd();
        await writeTo(socket, frame(checkpointMessage(this.#o.sender, s.chain, s.seq, line)));
        const now = Date.now();
        this.#written = this.#written.filter((w) => now - w.at < this.#o.resendMs);
        this.#written.push({ chain: s.chain, seq: s.seq, at: now });
        this.#setSent(s.chain, s.seq);
        shipped++;
      }
    } catch (err) {
      const message = (err as Error).message;
      this.#lastError = message.startsWith('syslog ') ? message : `syslog ${this.#o.target.host}:${this.#o.target.port}: ${message}`;
      this.#socket?.destroy();
      this.#schedule();
      const r = { shipped, backlog: this.#pending().length, error: this.#lastError };
      this.onRound(r);
      return r;
    }
    this.#backoff = this.#o.backoffMs.min;
    this.#lastError = undefined;
    const r = { shipped, backlog: 0 };
    if (shipped) this.onRound(r);
    return r;
  }

  /** A connection that closes takes back what went on it lately: sent again on the next one. */
  #watch(socket: Socket): Socket {
    socket.on('error', () => undefined); // 'close' follows; the next write or round reports it
    socket.once('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      if (this.#stopped) return; // our own orderly close: everything written went out before the FIN
      const recent = this.#written.filter((w) => Date.now() - w.at < this.#o.resendMs);
      this.#written = [];
      for (const w of recent) if (this.#sentOf(w.chain) >= w.seq) this.#setSent(w.chain, w.seq - 1);
      if (recent.length) this.#schedule();
    });
    return socket;
  }

  #schedule(): void {
    if (this.#retry || this.#stopped) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.flush();
    }, this.#backoff).unref();
    this.#backoff = Math.min(this.#backoff * 2, this.#o.backoffMs.max);
  }
}
