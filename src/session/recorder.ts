// The recordings of one session's channels: opens each (a channel that cannot be recorded is refused), indexes it in
// the store, reports its file operations (a channel whose FileTransfer cannot be written is ended), seals it with its
// sha256, and has terminal screens indexed for search.
import type { Logger } from 'pino';
import { fail } from '../errors.js';
import { ChannelRecording, type ChannelInfo } from '../recording/channel-recording.js';
import type { Seal } from '../recording/file-sink.js';
import type { LiveFeed } from '../recording/live-feed.js';
import type { Config } from '../config/schema.js';
import type { ScreenSnapshot } from '../playback/screen-index.js';
import type { IndexWrites } from '../store/index-writes.js';
import type { SessionIndex } from '../store/store.js';
import type { Resolved } from './session-access.js';
import type { SessionEvents } from './session-events.js';

/** Rebuilds the screens of a sealed terminal recording for search (off the relay's thread). */
export interface ScreenIndexer {
  snapshots(path: string): Promise<ScreenSnapshot[]>;
}

export interface RecorderDeps {
  index: Pick<SessionIndex, 'openChannel' | 'sealChannel' | 'addFileOp' | 'addScreenText'>;
  settings: Config['recording'];
  /** Absolute directory recordings are written to. */
  recordingDir: string;
  /** Index writes after the fact, retried while the store is away. */
  indexWrites: IndexWrites;
  screenIndex: ScreenIndexer;
  /** Where terminal output is published for live watchers in this process (absent: nobody can watch). */
  live?: LiveFeed;
}

export type ChannelSpec = { kind: ChannelInfo['kind']; command?: string; pty?: ChannelInfo['pty'] };

export class SessionRecorder {
  /** Bytes relayed over all sealed channels, for the session's end. */
  readonly bytes = { in: 0, out: 0 };
  #deps: RecorderDeps;
  #auditKey: string;
  #user: string;
  #events: SessionEvents;
  #log: () => Logger;
  #channelNo = 0;

  constructor(deps: RecorderDeps, auditKey: string, user: string, events: SessionEvents, log: () => Logger) {
    this.#deps = deps;
    this.#auditKey = auditKey;
    this.#user = user;
    this.#events = events;
    this.#log = log;
  }

  async start(resolved: Resolved, c: ChannelSpec): Promise<ChannelRecording> {
    const { index, settings, recordingDir } = this.#deps;
    const channel = ++this.#channelNo;
    let rec: ChannelRecording;
    try {
      rec = await ChannelRecording.start({
        dir: recordingDir, auditKey: this.#auditKey, channel, user: this.#user,
        target: resolved.target.name, login: resolved.login, recordInput: settings.input,
        minFreeBytes: settings.minFreeMB * 1024 * 1024, directIo: settings.directIo, ...c,
      }, this.#deps.live);
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      await this.#events.emit('RecordingFailed', { reason: why, channel });
      throw fail('RECORDING_FAILED', why);
    }
    await index.openChannel({
      auditKey: this.#auditKey, channel, kind: c.kind, command: c.command, recordingPath: rec.path, startedAt: new Date().toISOString(), screenPending: Boolean(rec.info.pty),
    });
    rec.onFileOp((op) => {
      // Fail closed: the operation is done on the target when its reply passes here, but if its FileTransfer cannot
      // be written the channel ends (the relay's recording-failure path, with the AUDIT_UNAVAILABLE line): no further
      // transfer goes through unrecorded in the trail.
      const fields = { channel, ...op, result: op.result === 'ok' ? 'success' : 'failure', ...(op.result === 'ok' ? {} : { reason: op.result }) } as const;
      this.#events.emitOrRefuse('FileTransfer', fields).catch((err: Error) => rec.fail(err));
      const at = new Date().toISOString();
      void this.#deps.indexWrites.write(`file operation of ${this.#auditKey}`, () => index.addFileOp({ auditKey: this.#auditKey, channel, at, ...op }));
    });
    return rec;
  }

  async seal(rec: ChannelRecording, exitStatus: number | undefined): Promise<void> {
    this.bytes.in += rec.bytesIn;
    this.bytes.out += rec.bytesOut;
    const { channel } = rec.info;
    const fields = { endedAt: new Date().toISOString(), exitStatus, bytesIn: rec.bytesIn, bytesOut: rec.bytesOut };
    const index = (what: string, state: { state: 'sealed' | 'failed'; sha256?: string; recordingBytes?: number }) =>
      this.#deps.indexWrites.write(`${what} ${this.#auditKey}/${channel}`, () => this.#deps.index.sealChannel(this.#auditKey, channel, { ...fields, ...state }));
    let seal: Seal;
    try {
      seal = await rec.close();
    } catch (err) {
      await this.#events.emit('RecordingFailed', { channel, reason: (err as Error).message });
      await index('failed channel', { state: 'failed' });
      return;
    }
    // The event first: it is the record (a local file) and names the digest; the index may have to wait for the store.
    // Every byte is in the recording either way; fileOpsIncomplete says the file-operation index of an sftp channel is partial.
    const partial = rec.fileOpsLost ? { fileOpsIncomplete: 'the sftp stream stopped parsing; later file operations are only in the raw bytes' } : {};
    await this.#events.emit('RecordingSealed', { channel, path: seal.path, sha256: seal.sha256, bytes: seal.bytes, ...partial });
    await index('sealed channel', { sha256: seal.sha256, recordingBytes: seal.bytes, state: 'sealed' });
    if (rec.info.pty) indexScreenText(this.#deps, { auditKey: this.#auditKey, channel, path: seal.path }, this.#log());
    if (rec.info.pty) this.#deps.live?.sealed({ auditKey: this.#auditKey, channel, path: seal.path, sha256: seal.sha256, bytes: seal.bytes });
  }
}

/** Off the relay's path: the screen text of a sealed terminal recording is rebuilt from the file and indexed. */
export function indexScreenText(
  deps: Pick<RecorderDeps, 'screenIndex' | 'indexWrites' | 'index'>,
  rec: { auditKey: string; channel: number; path: string },
  log: Logger,
): void {
  deps.screenIndex
    .snapshots(rec.path)
    .then((rows) => deps.indexWrites.write(`screen text of ${rec.auditKey}/${rec.channel}`, () => deps.index.addScreenText(rec.auditKey, rec.channel, rows)))
    .catch((err) => log.warn({ err: (err as Error).message, auditKey: rec.auditKey, channel: rec.channel }, 'screen text indexing failed'));
}
