// Everything recorded about one channel, behind one object (on input / output / resize / exit / close): a terminal
// channel becomes an asciicast file, any other a binary frame log; sftp and legacy scp streams are also parsed into
// file operations. The relay only calls these methods; it never knows the formats.
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { AsciicastRecorder } from './asciicast.js';
import { BinaryRecorder, STREAM } from './binary-log.js';
import { FileSink, type Seal } from './file-sink.js';
import type { LiveChannel, LiveFeed } from './live-feed.js';
import type { FileOp } from './file-ops.js';
import { ScpTracker, scpMode } from './scp-tracker.js';
import { SftpTracker } from './sftp-tracker.js';

export interface ChannelInfo {
  dir: string;
  auditKey: string;
  channel: number;
  /** Session channels, and port-forwarding tunnels (whose `command` says where they lead). */
  kind: 'shell' | 'exec' | 'sftp' | 'direct-tcpip' | 'forwarded-tcpip' | 'x11';
  command?: string;
  pty?: { cols: number; rows: number; term: string };
  user: string;
  target: string;
  login: string;
  recordInput: boolean;
  /** Refuse to start below this much free space: a recording that would stop at once is no recording. */
  minFreeBytes: number;
  /** Whole blocks bypass the page cache (FileSink's `direct`). */
  directIo: boolean;
}

export class ChannelRecording {
  readonly info: ChannelInfo;
  readonly path: string;
  bytesIn = 0;
  bytesOut = 0;
  #cast: AsciicastRecorder | undefined;
  #bin: BinaryRecorder | undefined;
  #sink: FileSink;
  #sftp: SftpTracker | undefined;
  #scp: ScpTracker | undefined;
  #scpOnInput = false;
  #opListeners: ((op: FileOp) => void)[] = [];
  #onError: ((err: Error) => void) | undefined;
  #failure: Error | undefined;
  /** Watchers of a terminal channel's output in this process (the web console's live view). */
  #live: LiveChannel | undefined;

  private constructor(info: ChannelInfo, path: string, sink: FileSink, feed?: LiveFeed) {
    this.info = info;
    this.path = path;
    this.#sink = sink;
    const emit = (op: FileOp) => this.#opListeners.forEach((l) => l(op));
    const meta = { auditKey: info.auditKey, channel: info.channel, kind: info.kind, user: info.user, target: info.target, login: info.login };
    if (info.pty) {
      this.#cast = new AsciicastRecorder(sink, {
        width: info.pty.cols,
        height: info.pty.rows,
        timestamp: Math.floor(Date.now() / 1000),
        title: info.auditKey,
        env: { TERM: info.pty.term },
        fumidai: { ...meta, ...(info.command ? { command: info.command } : {}) },
      }, info.recordInput);
      this.#live = feed?.open(info.auditKey, info.channel, {
        cols: info.pty.cols, rows: info.pty.rows, path,
        position: () => sink.accepted,
        flush: () => sink.flush(),
      });
    } else {
      this.#bin = new BinaryRecorder(sink, { version: 1, timestamp: new Date().toISOString(), ...meta, command: info.command });
    }
    if (info.kind === 'sftp') this.#sftp = new SftpTracker(emit);
    const scp = info.kind === 'exec' && info.command ? scpMode(info.command) : undefined;
    if (scp) {
      this.#scp = new ScpTracker(scp, emit);
      this.#scpOnInput = scp.op === 'write';
    }
  }

  /** Opens the channel's recording file; throws (EACCES, ENOSPC...) so the caller can refuse the channel. */
  static async start(info: ChannelInfo, feed?: LiveFeed): Promise<ChannelRecording> {
    const dir = join(info.dir, info.auditKey.slice(0, 8), info.auditKey);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const fs = await statfs(dir);
    if (fs.bavail * fs.bsize < info.minFreeBytes) throw Object.assign(new Error('not enough free space for recordings'), { code: 'ENOSPC' });
    const ext = info.pty ? 'cast' : 'bin';
    const path = join(dir, `${String(info.channel).padStart(2, '0')}-${info.kind}.${ext}`);
    const rec = new ChannelRecording(info, path, await FileSink.create(path, { direct: info.directIo }), feed);
    await rec.#sink.flush(); // the header is on disk before the channel opens: a write problem shows now
    if (rec.#sink.error) {
      rec.#live?.close();
      await rec.#sink.close().catch(() => undefined); // releases the file and the flush timer; the error is thrown below
      throw rec.#sink.error;
    }
    return rec;
  }

  onFileOp(listener: (op: FileOp) => void): void {
    this.#opListeners.push(listener);
  }

  onError(listener: (err: Error) => void): void {
    this.#sink.onError = listener;
    this.#onError = listener;
    if (this.#failure) listener(this.#failure);
  }

  /**
   * Ends the channel from outside the file: the onError listener (the relay's recording-failure path) runs with `err`,
   * once, now or when one is set. The file stays good and is sealed as usual; a FumidaiError's line is what the user
   * sees (AUDIT_UNAVAILABLE when a FileTransfer event of this channel could not be written).
   */
  fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#onError?.(err);
  }

  /** True when an sftp stream stopped parsing as SFTP: file operations after that point are missing (worth a log line). */
  get fileOpsLost(): boolean {
    return this.#sftp?.lost ?? false;
  }

  get full(): boolean {
    return this.#sink.full;
  }

  /** Writes out what is buffered; rejects if the recording has failed. */
  async flush(): Promise<void> {
    await this.#sink.flush();
    if (this.#sink.error) throw this.#sink.error;
  }

  drained(): Promise<void> {
    return this.#sink.drained();
  }

  input(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    if (this.#cast) this.#cast.input(chunk);
    else this.#bin!.frame(STREAM.stdin, chunk);
    this.#sftp?.clientData(chunk);
    if (this.#scpOnInput) this.#scp?.data(chunk);
  }

  output(chunk: Buffer, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.bytesOut += chunk.length;
    if (this.#cast) {
      this.#cast.output(chunk);
      this.#live?.output(chunk);
    } else this.#bin!.frame(stream === 'stdout' ? STREAM.stdout : STREAM.stderr, chunk);
    if (stream === 'stdout') {
      this.#sftp?.serverData(chunk);
      if (this.#scp && !this.#scpOnInput) this.#scp.data(chunk);
    }
  }

  resize(cols: number, rows: number): void {
    this.#cast?.resize(cols, rows);
    this.#live?.resize(cols, rows);
  }

  exit(status: number | string): void {
    this.#bin?.meta({ exit: status });
  }

  async close(): Promise<Seal> {
    this.#live?.close();
    this.#sftp?.end();
    return this.#cast ? this.#cast.close() : this.#bin!.close();
  }
}
