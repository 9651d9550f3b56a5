// `ssh -R` through a target, allowed only by a policy rule with the remote-forward action: the listen request goes to
// the target, and each connection the target accepts comes back to the client as a forwarded-tcpip channel, itself
// authorized (the policy may have changed since), recorded byte for byte and audited.
import type { Client, ClientChannel, Connection, TcpConnectionDetails, TcpipBindInfo } from 'ssh2';
import { fail, userLine } from '../errors.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import type { Session } from '../session/session.js';
import type { OpenUpstream } from '../session/upstream-link.js';
import { relaySessionTunnel, type ChannelStream } from './tunnel.js';

type Forward = { listen: string; origin?: string };

function audit(session: Session, forward: Forward, result: 'success' | 'failure', reason?: string): Promise<void> {
  return session.event('PortForward', { direction: 'remote', ...forward, result, ...(reason === undefined ? {} : { reason }) });
}

/** The tcpip-forward and cancel-tcpip-forward global requests of a connection bound to a target. */
export function handleForwardRequest(
  session: Session,
  conn: Connection,
  name: string,
  info: TcpipBindInfo,
  accept: ((port?: number) => void) | undefined,
  reject: (() => void) | undefined,
): void {
  const listen = `${info.bindAddr}:${info.bindPort}`;
  void (async () => {
    if (name === 'cancel-tcpip-forward') {
      const up = await session.link.open('remote-forward').catch(() => undefined);
      if (!up) return reject?.();
      up.client.unforwardIn(info.bindAddr, info.bindPort, (err) => (err ? reject?.() : accept?.()));
      return;
    }
    try {
      const up = await session.link.open('remote-forward');
      await session.access.authorize('remote-forward');
      relayInbound(session, conn, up);
      const port = await listenOnTarget(up.client, info).catch((err: Error) => {
        throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, `listening on ${listen}`, err.message);
      });
      await audit(session, { listen: `${info.bindAddr}:${port}` }, 'success');
      accept?.(info.bindPort === 0 ? port : undefined);
    } catch (err) {
      // A global request has no room for a reason; the client says "remote port forwarding failed", the trail says why.
      await audit(session, { listen }, 'failure', (err as Error).message);
      session.log.info({ reason: userLine(err) }, 'remote forward refused');
      reject?.();
    }
  })().catch((err) => session.log.error({ err }, 'remote forward request failed'));
}

const relaying = new WeakSet<Client>();

/** Connections the target accepted on a remote forward go back to the client, each authorized and recorded. */
function relayInbound(session: Session, conn: Connection, up: OpenUpstream): void {
  if (relaying.has(up.client)) return;
  relaying.add(up.client);
  up.client.on('tcp connection', (details: TcpConnectionDetails, acceptUp: () => ClientChannel, rejectUp: () => void) => {
    const forward = { listen: `${details.destIP}:${details.destPort}`, origin: `${details.srcIP}:${details.srcPort}` };
    void (async () => {
      let recording: ChannelRecording;
      try {
        await session.access.authorize('remote-forward'); // the policy may have changed since the listener was set up
        recording = await session.recordings.start(up, { kind: 'forwarded-tcpip', command: `${forward.listen} from ${forward.origin}` });
      } catch (err) {
        await audit(session, forward, 'failure', (err as Error).message);
        return rejectUp();
      }
      conn.forwardOut(details.destIP, details.destPort, details.srcIP, details.srcPort, (err, channel) => {
        if (err) {
          rejectUp();
          void audit(session, forward, 'failure', `the client refused: ${err.message}`);
          void session.recordings.seal(recording, undefined);
          return;
        }
        void audit(session, forward, 'success');
        void relaySessionTunnel(session, 'remote-forward', channel as unknown as ChannelStream, acceptUp() as unknown as ChannelStream, recording);
      });
    })().catch((err) => session.log.error({ err }, 'remote forward connection failed'));
  });
}

function listenOnTarget(client: Client, info: TcpipBindInfo): Promise<number> {
  return new Promise((resolve, reject) =>
    client.forwardIn(info.bindAddr, info.bindPort, (err, port) => (err ? reject(err) : resolve(port || info.bindPort))),
  );
}
