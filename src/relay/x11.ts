// X11 (`ssh -X`/`-Y`) where a rule lists the x11 action: each X connection a program on the target opens comes back
// to the client as a channel of its own, authorized, recorded byte for byte and audited (refused if its ChannelOpen
// cannot be written).
import type { ClientChannel, X11Details } from 'ssh2';
import type { ChannelRecording } from '../recording/channel-recording.js';
import type { Session } from '../session/session.js';
import type { OpenUpstream } from '../session/upstream-link.js';
import { relaySessionTunnel, type ChannelStream } from './tunnel.js';

const relaying = new WeakSet<OpenUpstream['client']>();

/** Called before the target can open the first X11 channel of a session that asked for X11. */
export function relayX11(session: Session, up: OpenUpstream): void {
  if (relaying.has(up.client)) return;
  relaying.add(up.client);
  up.client.on('x11', (details: X11Details, acceptUp: () => ClientChannel, rejectUp: () => void) => {
    const origin = `${details.srcIP}:${details.srcPort}`;
    void (async () => {
      let recording: ChannelRecording;
      try {
        await session.access.authorize('x11');
        recording = await session.recordings.start(up, { kind: 'x11', command: `x11 from ${origin}` });
      } catch (err) {
        await session.events.emit('ChannelDenied', { channel: 'x11', origin, reason: (err as Error).message });
        return rejectUp();
      }
      session.channels.client.x11(details.srcIP, details.srcPort, (err, channel) => {
        if (err) {
          rejectUp();
          void session.recordings.seal(recording, undefined);
          return;
        }
        // Fail closed: an X11 connection whose ChannelOpen cannot be written is refused before a byte is relayed.
        session.events.emitOrRefuse('ChannelOpen', { channelType: 'x11', origin }).then(
          () => relaySessionTunnel(session, 'x11', channel as unknown as ChannelStream, acceptUp() as unknown as ChannelStream, recording),
          (refused: Error) => {
            session.log.warn({ err: refused.message, origin }, 'x11 connection refused');
            channel.close();
            rejectUp();
            return session.recordings.seal(recording, undefined);
          },
        ).catch((e) => session.log.error({ err: e }, 'x11 connection failed'));
      });
    })().catch((err) => session.log.error({ err }, 'x11 connection failed'));
  });
}
