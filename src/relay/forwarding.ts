// Port forwarding through a target, allowed only by a policy rule with the local-forward or remote-forward action.
// Local (`ssh -L`, `ssh -W`): the client's direct-tcpip channel becomes a direct-tcpip channel the target opens, so
// the connection starts from the target, as it would without the bastion. Remote (`ssh -R`): the listen request goes
// to the target, and each connection the target accepts comes back to the client as a forwarded-tcpip channel.
// Every tunnel is authorized, recorded byte for byte (a binary frame log) and audited like any other channel.
import type { Client, ClientChannel, Connection, ServerChannel, TcpConnectionDetails, TcpipBindInfo, TcpipRequestInfo, X11Details } from 'ssh2';
import { fail, userLine } from '../errors.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import { rejectWithReason } from '../ssh/glue.js';
import type { TargetSession } from '../session/target-session.js';
import { relayTunnel, type ChannelStream } from './tunnel.js';

/** `ssh -L` / `ssh -W` on a connection bound to a target. */
export function handleLocalForward(
  ts: TargetSession,
  conn: Connection,
  dest: TcpipRequestInfo,
  accept: () => ServerChannel,
  reject: () => void,
): void {
  const destination = `${dest.destIP}:${dest.destPort}`;
  const refuse = async (err: unknown) => {
    await ts.event('PortForward', { direction: 'local', destination, result: 'failure', reason: (err as Error).message });
    rejectWithReason(conn, reject, userLine(err));
  };
  void (async () => {
    let upstream: ClientChannel;
    let recording: ChannelRecording;
    try {
      const up = await ts.upstream('local-forward');
      await ts.authorize('local-forward');
      upstream = await openOnTarget(up.client, dest).catch((err: Error) => {
        throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, `forwarding to ${destination}`, err.message);
      });
      recording = await ts.startRecording({ kind: 'direct-tcpip', command: destination }).catch((err) => {
        upstream.close();
        throw err;
      });
    } catch (err) {
      return refuse(err);
    }
    const channel = accept();
    await ts.event('PortForward', { direction: 'local', destination, result: 'success' });
    await relay(ts, channel as unknown as ChannelStream, upstream, recording);
  })().catch((err) => ts.log.error({ err }, 'local forward failed'));
}

/** `ssh -R`: the tcpip-forward and cancel-tcpip-forward global requests of a connection bound to a target. */
export function handleForwardRequest(
  ts: TargetSession,
  conn: Connection,
  name: string,
  info: TcpipBindInfo,
  accept: ((port?: number) => void) | undefined,
  reject: (() => void) | undefined,
): void {
  const listen = `${info.bindAddr}:${info.bindPort}`;
  void (async () => {
    if (name === 'cancel-tcpip-forward') {
      const up = await ts.upstream('remote-forward').catch(() => undefined);
      if (!up) return reject?.();
      up.client.unforwardIn(info.bindAddr, info.bindPort, (err) => (err ? reject?.() : accept?.()));
      return;
    }
    try {
      const up = await ts.upstream('remote-forward');
      await ts.authorize('remote-forward');
      relayInbound(ts, conn, up.client);
      const port = await listenOnTarget(up.client, info).catch((err: Error) => {
        throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, `listening on ${listen}`, err.message);
      });
      await ts.event('PortForward', { direction: 'remote', listen: `${info.bindAddr}:${port}`, result: 'success' });
      accept?.(info.bindPort === 0 ? port : undefined);
    } catch (err) {
      // A global request has no room for a reason; the client says "remote port forwarding failed", the trail says why.
      await ts.event('PortForward', { direction: 'remote', listen, result: 'failure', reason: (err as Error).message });
      ts.log.info({ reason: userLine(err) }, 'remote forward refused');
      reject?.();
    }
  })().catch((err) => ts.log.error({ err }, 'remote forward request failed'));
}

const relaying = new WeakSet<Client>();

/** Connections the target accepted on a remote forward go back to the client, each authorized and recorded. */
function relayInbound(ts: TargetSession, conn: Connection, client: Client): void {
  if (relaying.has(client)) return;
  relaying.add(client);
  client.on('tcp connection', (details: TcpConnectionDetails, acceptUp: () => ClientChannel, rejectUp: () => void) => {
    const listen = `${details.destIP}:${details.destPort}`;
    const origin = `${details.srcIP}:${details.srcPort}`;
    void (async () => {
      let recording: ChannelRecording;
      try {
        await ts.authorize('remote-forward'); // the policy may have changed since the listener was set up
        recording = await ts.startRecording({ kind: 'forwarded-tcpip', command: `${listen} from ${origin}` });
      } catch (err) {
        await ts.event('PortForward', { direction: 'remote', listen, origin, result: 'failure', reason: (err as Error).message });
        return rejectUp();
      }
      conn.forwardOut(details.destIP, details.destPort, details.srcIP, details.srcPort, (err, channel) => {
        if (err) {
          rejectUp();
          void ts.event('PortForward', { direction: 'remote', listen, origin, result: 'failure', reason: `the client refused: ${err.message}` });
          void ts.sealRecording(recording, undefined);
          return;
        }
        void ts.event('PortForward', { direction: 'remote', listen, origin, result: 'success' });
        void relay(ts, channel as unknown as ChannelStream, acceptUp(), recording);
      });
    })().catch((err) => ts.log.error({ err }, 'remote forward connection failed'));
  });
}

/** X11 connections the target opens for a session that asked for X11 go back to the client, authorized and recorded. */
export function relayX11(ts: TargetSession, client: Client): void {
  if (relayingX11.has(client)) return;
  relayingX11.add(client);
  client.on('x11', (details: X11Details, acceptUp: () => ClientChannel, rejectUp: () => void) => {
    const origin = `${details.srcIP}:${details.srcPort}`;
    void (async () => {
      let recording: ChannelRecording;
      try {
        await ts.authorize('x11');
        recording = await ts.startRecording({ kind: 'x11', command: `x11 from ${origin}` });
      } catch (err) {
        await ts.event('ChannelDenied', { channel: 'x11', origin, reason: (err as Error).message });
        return rejectUp();
      }
      ts.clientConnection.x11(details.srcIP, details.srcPort, (err, channel) => {
        if (err) {
          rejectUp();
          void ts.sealRecording(recording, undefined);
          return;
        }
        void ts.event('ChannelOpen', { channelType: 'x11', origin });
        void relay(ts, channel as unknown as ChannelStream, acceptUp(), recording);
      });
    })().catch((err) => ts.log.error({ err }, 'x11 connection failed'));
  });
}

const relayingX11 = new WeakSet<Client>();

async function relay(ts: TargetSession, channel: ChannelStream, upstream: ClientChannel, recording: ChannelRecording): Promise<void> {
  ts.addTunnel(channel);
  await relayTunnel(channel, upstream as unknown as ChannelStream, {
    recording,
    onClientData: () => ts.touch(), // traffic the user sends through a tunnel is activity
    onRecordingFailed: (err) => void ts.event('RecordingFailed', { reason: (err as NodeJS.ErrnoException).code ?? err.message }),
  });
  await ts.sealRecording(recording, undefined);
}

function openOnTarget(client: Client, dest: TcpipRequestInfo): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.forwardOut(dest.srcIP, dest.srcPort, dest.destIP, dest.destPort, (err, ch) => (err ? reject(err) : resolve(ch))),
  );
}

function listenOnTarget(client: Client, info: TcpipBindInfo): Promise<number> {
  return new Promise((resolve, reject) =>
    client.forwardIn(info.bindAddr, info.bindPort, (err, port) => (err ? reject(err) : resolve(port || info.bindPort))),
  );
}
