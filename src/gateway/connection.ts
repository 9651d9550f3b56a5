// One outer client connection, once its version line came (the front door has admitted it and checked bans):
// authentication (with a grace timer and an attempt limit), then routing of its channels. It only routes; session
// channels, ProxyJump and refusals each live in their own module.
import type { Connection, ClientInfo } from 'ssh2';
import { fail } from '../errors.js';
import { Login, type Caller } from '../auth/login.js';
import { parseDestination } from '../session/destination.js';
import { Session } from '../session/session.js';
import { requesterOf } from '../session/session-access.js';
import { handleLocalForward } from '../relay/local-forward.js';
import { handleForwardRequest } from '../relay/remote-forward.js';
import { handleSessionChannel } from '../relay/session-channel.js';
import { tuneSocket, rejectWithReason, sendAuthBanner } from '../ssh/glue.js';
import { agreedAlgorithms } from '../ssh/negotiated.js';
import type { GatewayDeps } from './context.js';
import { handleJump } from './jump.js';
import { bastionCommands } from './bastion-commands.js';

/** `onAuthenticated`: the client is in, so it no longer counts among the unauthenticated connections. */
export function handleConnection(conn: Connection, info: ClientInfo, deps: GatewayDeps, onAuthenticated: () => void = () => undefined): void {
  const source = { sourceIp: info.ip, sourcePort: info.port };
  tuneSocket(conn);
  const log = deps.log.child(source);
  let caller: Caller | undefined;
  void deps.audit.record('ConnectionOpened', source, { client: info.header.identRaw }).catch(() => undefined);

  const grace = setTimeout(() => {
    void deps.audit.record('AuthFailure', source, { reason: 'login grace time exceeded' }).catch(() => undefined);
    conn.end();
  }, deps.config.auth.loginGraceTime * 1000);
  grace.unref();

  conn.on('error', (err) => log.debug({ err: err.message }, 'client connection error'));
  const login = new Login(deps.login, source);
  conn.on('close', () => {
    clearTimeout(grace);
    login.close();
    void deps.audit.record('ConnectionClosed', { ...source, user: caller?.user }).catch(() => undefined);
  });

  login.onGiveUp = () => conn.end();
  login.say = (line) => sendAuthBanner(conn, line);
  conn.on('handshake', (negotiated) => (login.algorithms = agreedAlgorithms(negotiated)));
  conn.on('authentication', (ctx) => {
    login.handle(ctx).catch((err) => log.error({ err }, 'authentication error')); // refused and audited by the login
  });

  conn.on('ready', () => {
    clearTimeout(grace);
    if (!login.result) {
      conn.end();
      return;
    }
    onAuthenticated();
    const who = login.result.caller;
    caller = who;
    const session = new Session(deps.sessions, conn, who, parseDestination(login.result.sshUser, who.user));
    deps.live.add(session);
    conn.on('close', () => {
      deps.live.delete(session);
      void session.close('client disconnected');
    });
    const channelOptions = { ...deps.config.relay, reachable: () => deps.access.reachable(requesterOf(who)), bastionCommand: bastionCommands(deps.issuer, deps.desk, deps.holds), ...(deps.shellRules ? { shellRules: deps.shellRules } : {}) };
    conn.on('session', (accept) => handleSessionChannel(accept(), session, channelOptions));
    // Bound to a target (`ssh -l login@web1 bastion`), direct-tcpip is `-L`/`-W` through it; otherwise ProxyJump.
    const bound = () => session.access.destination.kind === 'target';
    conn.on('tcpip', (accept, reject, dest) =>
      bound() ? handleLocalForward(session, conn, dest, accept, reject) : handleJump(deps, conn, who, dest, accept, reject),
    );
    conn.on('request', (accept, reject, name, info) => {
      if (bound()) return handleForwardRequest(session, conn, name, info, accept, reject);
      void deps.audit.record('PortForward', { ...source, user: who.user }, { direction: 'remote', listen: `${info.bindAddr}:${info.bindPort}`, result: 'failure', reason: 'no target to forward from: name one (LOGIN@TARGET as the user name, or ssh -J)' }).catch(() => undefined);
      reject?.();
    });
    conn.on('openssh.streamlocal', (_accept, reject) =>
      rejectWithReason(conn, reject, fail('CHANNEL_DENIED', 'unix socket forwarding').line),
    );
  });
}
