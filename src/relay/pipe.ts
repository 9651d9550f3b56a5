// Relays one channel between client and target with SSH semantics: stdout, stderr, EOF, exit-status/exit-signal,
// close. Backpressure comes from stream piping: a slow client stops reads from the target, whose window then closes.
import type { Transform } from 'node:stream';
import type { ClientChannel, ServerChannel } from 'ssh2';
import { fail, FumidaiError } from '../errors.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import { createTap } from '../recording/tap.js';
import type { LineGate } from './line-gate.js';

export interface RelayOptions {
  recording: ChannelRecording;
  onRecordingFailed: (err: Error) => void;
  onInput?: () => void;
  onOutput?: () => void;
  /** Sits between the taps and the target (an sftp channel under file rules): what it drops was still recorded. */
  gate?: { input: Transform; output: Transform };
  /** A terminal under shell rules: its Enters wait for each line's decision (nothing is held back without one). */
  lineGate?: LineGate;
}

import { endChannel, FLUSH_LIMIT_MS, type ExitInfo } from '../ssh/channel-end.js';

/**
 * Exit status and close of a target channel, watched from the moment it opens: exit-status and close can arrive in
 * the same read as the open confirmation, before any later listener would be attached.
 */
export interface UpstreamWatch {
  exit?: ExitInfo;
  closed: Promise<void>;
}

export function watchUpstream(up: ClientChannel): UpstreamWatch {
  const watch: UpstreamWatch = { closed: new Promise((resolve) => up.once('close', () => resolve())) };
  up.on('exit', (code: number | null, signal?: string, coreDumped?: boolean, message?: string) => {
    watch.exit = code !== null && code !== undefined ? { code } : { signal: signal ?? 'SIGKILL', coreDumped: !!coreDumped, message: message ?? '' };
  });
  up.on('error', () => undefined);
  return watch;
}

/** Resolves with the exit code the target reported (undefined for a signal or none). */
export function relayChannel(
  client: ServerChannel,
  up: ClientChannel,
  watch: UpstreamWatch,
  targetName: string,
  opts: RelayOptions,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const rec = opts.recording;

    // Every byte passes a recording tap on its way; a tap holds bytes back while the recording catches up.
    const inTap = createTap(rec, (c) => rec.input(c));
    const outTap = createTap(rec, (c) => rec.output(c, 'stdout'));
    const errTap = createTap(rec, (c) => rec.output(c, 'stderr'));
    const gate = opts.gate;
    const line = opts.lineGate;
    // The line gate is before the taps (a held Enter is recorded when it goes on); the sftp gate after them.
    const fromClient = (line ? client.pipe(line.stream) : client).pipe(inTap); // the client's EOF becomes EOF to the target
    if (gate) {
      fromClient.pipe(gate.input).pipe(up);
      up.pipe(gate.output).pipe(outTap).pipe(client, { end: false });
    } else {
      fromClient.pipe(up);
      up.pipe(outTap).pipe(client, { end: false });
    }
    up.stderr.pipe(errTap).pipe(client.stderr, { end: false });
    // Listeners added only now, after the pipes: an earlier 'data' listener would drop bytes sent before them.
    if (opts.onInput) client.on('data', opts.onInput);
    if (opts.onOutput) up.on('data', opts.onOutput);
    if (line) up.on('data', (c: Buffer) => line.output(c));

    // Never continue unrecorded: a recording that fails ends the channel with a message. A FumidaiError here is not
    // the file's (ChannelRecording.fail: a FileTransfer event could not be written): its own line, no RecordingFailed.
    let failed = false;
    const recordingFailed = (err: Error) => {
      if (failed) return;
      failed = true;
      if (!(err instanceof FumidaiError)) opts.onRecordingFailed(err);
      for (const s of [inTap, outTap, errTap, ...(gate ? [gate.input, gate.output] : [])]) s.destroy();
      up.close();
      // Nothing is relayed any more, so the reason may wait longer for a busy client to take the output queued ahead
      // of it (up to a window's worth): on a loaded machine the line was once lost, most likely at the 3 s limit.
      const line = err instanceof FumidaiError ? err.line : fail('RECORDING_FAILED', (err as NodeJS.ErrnoException).code ?? err.message).line;
      void endChannel(client, { code: 255 }, line, 4 * FLUSH_LIMIT_MS);
    };
    for (const s of [inTap, outTap, errTap, ...(gate ? [gate.input, gate.output] : [])]) s.on('error', recordingFailed);
    rec.onError(recordingFailed);


    // Finish only when everything the target sent has been handed to the client: exit must precede EOF/CLOSE.
    const finish = async () => {
      if (done) return;
      done = true;
      await Promise.all([drained(outTap), drained(errTap)]);
      const exit = watch.exit;
      // The exit status is only given for a recorded session: a recording that failed on its last bytes ends it so.
      if (!failed) await rec.flush().catch(recordingFailed);
      if (client.writable && !failed) {
        rec.exit(exit && 'code' in exit ? exit.code : exit ? exit.signal : 'lost');
        await endChannel(client, exit ?? { code: 255 }, exit ? undefined : fail('UPSTREAM_LOST', targetName).line);
      }
      resolve(exit && 'code' in exit ? exit.code : exit ? undefined : 255);
    };
    void watch.closed.then(finish);
    client.on('close', () => {
      line?.close();
      // Client went away: stop the target side too.
      up.unpipe(client);
      up.stderr.unpipe(client.stderr);
      up.close();
      if (!done) {
        done = true;
        resolve(watch.exit && 'code' in watch.exit ? watch.exit.code : undefined);
      }
    });
  });
}

/** Resolves once a tap has passed on everything it took in (bounded: a side that never ends must not hang us). */
export function drained(stream: NodeJS.ReadableStream & { readableEnded?: boolean; destroyed?: boolean }): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000); // a target that closed without EOF must not hang the client
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.once('end', done);
    stream.once('close', done);
  });
}
