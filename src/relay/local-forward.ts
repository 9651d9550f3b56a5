// `ssh -L` and `ssh -W` through a target, allowed only by a policy rule with the local-forward action: the client's
// direct-tcpip channel becomes a direct-tcpip channel the target opens, so the connection starts from the target, as
// it would without the bastion. Authorized, recorded byte for byte (a binary frame log) and audited: refused if its
// PortForward event cannot be written.
import type { Client, ClientChannel, Connection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import { fail, userLine } from '../errors.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import type { Session } from '../session/session.js';
import { rejectWithReason } from '../ssh/glue.js';
import { checkTunnel } from './rules.js';
import { relaySessionTunnel, type ChannelStream } from './tunnel.js';

/** A direct-tcpip channel on a connection bound to a target. */
export function handleLocalForward(
  session: Session,
  conn: Connection,
  dest: TcpipRequestInfo,
  accept: () => ServerChannel,
  reject: () => void,
): void {
  const destination = `${dest.destIP}:${dest.destPort}`;
  const refused = (reason: string) => session.events.emit('PortForward', { direction: 'local', destination, result: 'failure', reason });
  void (async () => {
    let upstream: ClientChannel;
    let recording: ChannelRecording;
    try {
      if (session.caller.certificate?.forceCommand !== undefined) throw fail('CERT_FORCED_COMMAND', 'port forwarding');
      const up = await session.link.open('local-forward');
      await session.access.authorize('local-forward');
      await checkTunnel(session, { kind: 'local-forward', host: dest.destIP, port: dest.destPort }); // before the target connects anywhere
      upstream = await openOnTarget(up.client, dest).catch((err: Error) => {
        throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, `forwarding to ${destination}`, err.message);
      });
      recording = await session.recordings.start(up, { kind: 'direct-tcpip', command: destination }).catch((err) => {
        upstream.close();
        throw err;
      });
    } catch (err) {
      await refused((err as Error).message);
      return rejectWithReason(conn, reject, userLine(err));
    }
    try {
      // Fail closed: a tunnel whose PortForward cannot be written is refused before the client's channel opens.
      await session.events.emitOrRefuse('PortForward', { direction: 'local', destination, result: 'success' });
    } catch (err) {
      upstream.close();
      await session.recordings.seal(recording, undefined);
      return rejectWithReason(conn, reject, userLine(err));
    }
    const channel = accept();
    await relaySessionTunnel(session, 'local-forward', channel as unknown as ChannelStream, upstream as unknown as ChannelStream, recording);
  })().catch((err) => session.log.error({ err }, 'local forward failed'));
}

function openOnTarget(client: Client, dest: TcpipRequestInfo): Promise<ClientChannel> {
  return new Promise((resolve, reject) =>
    client.forwardOut(dest.srcIP, dest.srcPort, dest.destIP, dest.destPort, (err, ch) => (err ? reject(err) : resolve(ch))),
  );
}
