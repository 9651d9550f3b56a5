// The recordings of one session's channels: opens each (a channel that cannot be recorded is refused), indexes it in
// the store, reports its file operations, seals it with its sha256, and has terminal screens indexed for search.
import type { Logger } from 'pino';
import { fail } from '../errors.js';
import { ChannelRecording, type ChannelInfo } from '../recording/channel-recording.js';
import type { Seal } from '../recording/file-sink.js';
import type { EmitEvent } from '../audit/events.js';
import type { GatewayDeps, Resolved } from './context.js';

export type ChannelSpec = { kind: ChannelInfo['kind']; command?: string; pty?: ChannelInfo['pty'] };

export class SessionRecorder {
  /** Bytes relayed over all sealed channels, for the session's end. */
  readonly bytes = { in: 0, out: 0 };
  #deps: GatewayDeps;
  #auditKey: string;
  #user: string;
  #event: EmitEvent;
  #log: () => Logger;
  #channelNo = 0;

  constructor(deps: GatewayDeps, auditKey: string, user: string, event: EmitEvent, log: () => Logger) {
    this.#deps = deps;
    this.#auditKey = auditKey;
    this.#user = user;
    this.#event = event;
    this.#log = log;
  }

  async start(resolved: Resolved, c: ChannelSpec): Promise<ChannelRecording> {
    const { store, config, recordingDir } = this.#deps;
    const channel = ++this.#channelNo;
    let rec: ChannelRecording;
    try {
      rec = await ChannelRecording.start({
        dir: recordingDir, auditKey: this.#auditKey, channel, user: this.#user,
        target: resolved.target.name, login: resolved.login, recordInput: config.recording.input,
        minFreeBytes: config.recording.minFreeMB * 1024 * 1024, directIo: config.recording.directIo, ...c,
      });
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      await this.#event('RecordingFailed', { reason: why, channel });
      throw fail('RECORDING_FAILED', why);
    }
    await store.openChannel({
      auditKey: this.#auditKey, channel, kind: c.kind, command: c.command, recordingPath: rec.path, startedAt: new Date().toISOString(), screenPending: Boolean(rec.info.pty),
    });
    rec.onFileOp((op) => {
      void this.#event('FileTransfer', { channel, ...op, result: op.result === 'ok' ? 'success' : 'failure', ...(op.result === 'ok' ? {} : { reason: op.result }) });
      const at = new Date().toISOString();
      void this.#deps.indexWrites.write(`file operation of ${this.#auditKey}`, () => store.addFileOp({ auditKey: this.#auditKey, channel, at, ...op }));
    });
    return rec;
  }

  async seal(rec: ChannelRecording, exitStatus: number | undefined): Promise<void> {
    this.bytes.in += rec.bytesIn;
    this.bytes.out += rec.bytesOut;
    const { channel } = rec.info;
    const fields = { endedAt: new Date().toISOString(), exitStatus, bytesIn: rec.bytesIn, bytesOut: rec.bytesOut };
    const index = (what: string, state: { state: 'sealed' | 'failed'; sha256?: string; recordingBytes?: number }) =>
      this.#deps.indexWrites.write(`${what} ${this.#auditKey}/${channel}`, () => this.#deps.store.sealChannel(this.#auditKey, channel, { ...fields, ...state }));
    let seal: Seal;
    try {
      seal = await rec.close();
    } catch (err) {
      await this.#event('RecordingFailed', { channel, reason: (err as Error).message });
      await index('failed channel', { state: 'failed' });
      return;
    }
    // The event first: it is the record (a local file) and names the digest; the index may have to wait for the store.
    // Every byte is in the recording either way; fileOpsIncomplete says the file-operation index of an sftp channel is partial.
    const partial = rec.fileOpsLost ? { fileOpsIncomplete: 'the sftp stream stopped parsing; later file operations are only in the raw bytes' } : {};
    await this.#event('RecordingSealed', { channel, path: seal.path, sha256: seal.sha256, bytes: seal.bytes, ...partial });
    await index('sealed channel', { sha256: seal.sha256, recordingBytes: seal.bytes, state: 'sealed' });
    if (rec.info.pty) indexScreenText(this.#deps, { auditKey: this.#auditKey, channel, path: seal.path }, this.#log());
  }
}

/** Off the relay's path: the screen text of a sealed terminal recording is rebuilt from the file and indexed. */
export function indexScreenText(
  deps: Pick<GatewayDeps, 'screenIndex' | 'indexWrites' | 'store'>,
  rec: { auditKey: string; channel: number; path: string },
  log: Logger,
): void {
  deps.screenIndex
    .snapshots(rec.path)
    .then((rows) => deps.indexWrites.write(`screen text of ${rec.auditKey}/${rec.channel}`, () => deps.store.addScreenText(rec.auditKey, rec.channel, rows)))
    .catch((err) => log.warn({ err: (err as Error).message, auditKey: rec.auditKey, channel: rec.channel }, 'screen text indexing failed'));
}
