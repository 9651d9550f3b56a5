// `ssh -R` through a target, allowed only by a policy rule with the remote-forward action: the listen request goes to
// the target, and each connection the target accepts comes back to the client as a forwarded-tcpip channel, itself
// authorized (the policy may have changed since), recorded byte for byte and audited; a listener or connection whose
// PortForward event cannot be written is refused. A listener counts as in use by the session: the live re-check
// cancels it on the target when remote-forward is taken back.
import { EventEmitter } from 'node:events';
import type { Client, ClientChannel, Connection, TcpConnectionDetails, TcpipBindInfo } from 'ssh2';
import { fail, userLine } from '../errors.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import type { Session } from '../session/session.js';
import type { OpenUpstream } from '../session/upstream-link.js';
import { checkTunnel } from './rules.js';
import { relaySessionTunnel, type ChannelStream } from './tunnel.js';

type Forward = { listen: string; origin?: string };

/** A refusal's event (logged as lost if it cannot be written). */
function refused(session: Session, forward: Forward, reason: string): Promise<void> {
  return session.events.emit('PortForward', { direction: 'remote', ...forward, result: 'failure', reason });
}

/** Fail closed: a listener or connection whose PortForward cannot be written is refused (rejects AUDIT_UNAVAILABLE). */
function opened(session: Session, forward: Forward): Promise<void> {
  return session.events.emitOrRefuse('PortForward', { direction: 'remote', ...forward, result: 'success' });
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
      listeners.get(up.client)?.get(listen)?.emit('close');
      up.client.unforwardIn(info.bindAddr, info.bindPort, (err) => (err ? reject?.() : accept?.()));
      return;
    }
    try {
      if (session.caller.certificate?.forceCommand !== undefined) throw fail('CERT_FORCED_COMMAND', 'port forwarding');
      const up = await session.link.open('remote-forward');
      await session.access.authorize('remote-forward');
      await checkTunnel(session, { kind: 'remote-forward', host: info.bindAddr, port: info.bindPort }); // before the target listens
      relayInbound(session, conn, up);
      const port = await listenOnTarget(up.client, info).catch((err: Error) => {
        throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, `listening on ${listen}`, err.message);
      });
      await opened(session, { listen: `${info.bindAddr}:${port}` }).catch((err) => {
        up.client.unforwardIn(info.bindAddr, port, () => undefined);
        throw err;
      });
      accept?.(info.bindPort === 0 ? port : undefined);
      // The client cancels by the address it asked for (port 0 included), as OpenSSH's own cancel does.
      session.channels.addTunnel(listener(up.client, listen, info.bindAddr, port), 'remote-forward');
    } catch (err) {
      // A global request has no room for a reason; the client says "remote port forwarding failed", the trail says why.
      await refused(session, { listen }, (err as Error).message);
      session.log.info({ reason: userLine(err) }, 'remote forward refused');
      reject?.();
    }
  })().catch((err) => session.log.error({ err }, 'remote forward request failed'));
}

const relaying = new WeakSet<Client>();
/** The listeners of each upstream connection, by the address the client asked for. */
const listeners = new WeakMap<Client, Map<string, EventEmitter>>();

/** A listener on the target seen as a tunnel of the session: closing it cancels it there. */
function listener(client: Client, asked: string, bindAddr: string, port: number): EventEmitter & { close(): void } {
  const byAddress = listeners.get(client) ?? new Map<string, EventEmitter>();
  listeners.set(client, byAddress);
  const l = Object.assign(new EventEmitter(), {
    close: () => {
      client.unforwardIn(bindAddr, port, () => undefined);
      l.emit('close');
    },
  });
  l.once('close', () => byAddress.delete(asked));
  byAddress.set(asked, l);
  return l;
}

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
        await refused(session, forward, (err as Error).message);
        return rejectUp();
      }
      conn.forwardOut(details.destIP, details.destPort, details.srcIP, details.srcPort, (err, channel) => {
        if (err) {
          rejectUp();
          void refused(session, forward, `the client refused: ${err.message}`);
          void session.recordings.seal(recording, undefined);
          return;
        }
        opened(session, forward).then(
          () => relaySessionTunnel(session, 'remote-forward', channel as unknown as ChannelStream, acceptUp() as unknown as ChannelStream, recording),
          (e: Error) => {
            session.log.warn({ err: e.message, ...forward }, 'remote forward connection refused');
            channel.close();
            rejectUp();
            return session.recordings.seal(recording, undefined);
          },
        ).catch((e) => session.log.error({ err: e }, 'remote forward connection failed'));
      });
    })().catch((err) => session.log.error({ err }, 'remote forward connection failed'));
  });
}

function listenOnTarget(client: Client, info: TcpipBindInfo): Promise<number> {
  return new Promise((resolve, reject) =>
    client.forwardIn(info.bindAddr, info.bindPort, (err, port) => (err ? reject(err) : resolve(port || info.bindPort))),
  );
}
