// Relays one port-forwarding channel (a TCP stream inside SSH) between client and target, every byte through a
// recording tap, as the session relay does. A tunnel has no exit status: it ends when either side closes.
import type { Duplex } from 'node:stream';
import type { ChannelRecording } from '../recording/channel-recording.js';
import { createTap } from '../recording/tap.js';
import type { Action } from '../policy/types.js';
import type { Session } from '../session/session.js';
import { drained } from './pipe.js';

/** An SSH channel seen as a stream that can be closed (ssh2's Channel on either side). */
export type ChannelStream = Duplex & { close(): void };

export interface TunnelOptions {
  recording: ChannelRecording;
  onClientData?: () => void;
  onRecordingFailed: (err: Error) => void;
}

/** Resolves once both channels have closed. */
export function relayTunnel(client: ChannelStream, upstream: ChannelStream, opts: TunnelOptions): Promise<void> {
  const rec = opts.recording;
  const inTap = createTap(rec, (c) => rec.input(c));
  const outTap = createTap(rec, (c) => rec.output(c));
  client.pipe(inTap).pipe(upstream); // EOF passes through: a half-closed TCP stream stays half-closed
  upstream.pipe(outTap).pipe(client);
  if (opts.onClientData) client.on('data', opts.onClientData);

  const closed = (s: ChannelStream) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
  const both = Promise.all([closed(client), closed(upstream)]);
  // Either side gone means the tunnel is gone, once what it sent has passed its tap to the other side.
  void closed(client).then(() => drained(inTap)).then(() => upstream.close());
  void closed(upstream).then(() => drained(outTap)).then(() => client.close());

  // Never continue unrecorded.
  let failed = false;
  const recordingFailed = (err: Error) => {
    if (failed) return;
    failed = true;
    opts.onRecordingFailed(err);
    for (const s of [inTap, outTap]) s.destroy();
    client.close();
    upstream.close();
  };
  for (const s of [inTap, outTap]) s.on('error', recordingFailed);
  for (const s of [client, upstream]) s.on('error', () => undefined);
  rec.onError(recordingFailed);
  return both.then(() => undefined);
}

/** Relays a tunnel of a session: counted among its channels, its client data as activity, sealed at the end. */
export async function relaySessionTunnel(
  session: Session,
  action: Action,
  channel: ChannelStream,
  upstream: ChannelStream,
  recording: ChannelRecording,
): Promise<void> {
  session.channels.addTunnel(channel, action);
  await relayTunnel(channel, upstream, {
    recording,
    onClientData: () => session.clock.touch(), // traffic the user sends through a tunnel is activity
    onRecordingFailed: (err) => void session.events.emit('RecordingFailed', { reason: (err as NodeJS.ErrnoException).code ?? err.message }),
  });
  await session.recordings.seal(recording, undefined);
}
