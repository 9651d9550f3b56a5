// ProxyJump (`ssh -J alice@bastion web1`): the client asks for a direct-tcpip channel to web1:22. Instead of dialling
// TCP, fumidai serves an inner SSH session over that channel, bound to the already authenticated outer user, and
// relays it to the real target itself, so it is authorized and recorded like any other session.
import ssh2, { type AcceptConnection, type Channel, type Connection, type RejectConnection, type TcpipRequestInfo } from 'ssh2';
import { fail } from '../errors.js';
import type { Caller } from '../auth/login.js';
import { handleLocalForward } from '../relay/local-forward.js';
import { handleForwardRequest } from '../relay/remote-forward.js';
import { handleSessionChannel } from '../relay/session-channel.js';
import { Session } from '../session/session.js';
import { rejectWithReason } from '../ssh/glue.js';
import type { GatewayDeps } from './context.js';
import { serverConfig } from './server-config.js';

export async function handleJump(
  deps: GatewayDeps,
  outer: Connection,
  caller: Caller,
  dest: TcpipRequestInfo,
  accept: AcceptConnection<Channel>,
  reject: RejectConnection,
): Promise<void> {
  const log = deps.log.child({ user: caller.user, sourceIp: caller.sourceIp });
  const target = await deps.store.getTarget(dest.destIP);
  // Port 22 (or the target's own port) means ProxyJump: serve SSH, so that a denial gets its reason on the inner
  // session's stderr, where the client shows it whatever its LogLevel. Anything else is port forwarding.
  const isJump = dest.destPort === 22 || (target !== undefined && dest.destPort === target.port);
  if (!isJump) {
    const line = fail('FORWARD_NO_TARGET', `${dest.destIP}:${dest.destPort}`).line;
    void deps.audit.record('PortForward', { user: caller.user, sourceIp: caller.sourceIp, sourcePort: caller.sourcePort }, { direction: 'local', result: 'failure', reason: 'no target to forward from', destination: `${dest.destIP}:${dest.destPort}` }).catch(() => undefined);
    return rejectWithReason(outer, reject, line);
  }
  // An unknown name is refused before any inner SSH: served, it would first meet the client's host-key check for a
  // name its known_hosts cannot hold, and the user would see a host-key error instead of the reason.
  if (!target) return rejectWithReason(outer, reject, fail('TARGET_UNKNOWN', dest.destIP).line);
  const targetName = target.name;
  const channel = accept();
  const inner = new ssh2.Server(serverConfig(deps, deps.hostCerts?.forTarget(targetName)));
  inner.on('connection', (conn) => {
    conn.on('error', (err) => log.debug({ err: err.message }, 'inner connection error'));
    // The outer connection already proved who this is; the inner one is bound to it alone.
    let login: string | undefined;
    conn.on('authentication', (ctx) => {
      login = ctx.username || undefined;
      ctx.accept();
    });
    conn.on('ready', () => {
      const session = new Session(deps.sessions, conn, caller, { kind: 'target', target: targetName, login });
      deps.live.add(session);
      conn.on('close', () => {
        deps.live.delete(session);
        void session.close('client disconnected');
      });
      const channelOptions = { ...deps.config.relay, reachable: async () => [], ...(deps.shellRules ? { shellRules: deps.shellRules } : {}) };
      conn.on('session', (acceptSession) => handleSessionChannel(acceptSession(), session, channelOptions));
      conn.on('tcpip', (acceptInner, rejectInner, innerDest) => handleLocalForward(session, conn, innerDest, acceptInner, rejectInner));
      conn.on('request', (acceptInner, rejectInner, name, info) => handleForwardRequest(session, conn, name, info, acceptInner, rejectInner));
    });
  });
  channel.on('error', () => undefined);
  // ssh -J relays through a helper (`ssh -W`) that, when the client above it is gone (even killed), only half-closes
  // this channel. No packet can follow an EOF, so the inner connection ends now, and the target session with it,
  // instead of both living on until the idle timeout.
  channel.once('end', () => channel.close());
  inner.injectSocket(channel as never);
}
