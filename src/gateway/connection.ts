// One outer client connection: authentication (with a grace timer and an attempt limit), then routing of its
// channels. It only routes; session channels, ProxyJump and refusals each live in their own module.
import type { Connection, ClientInfo } from 'ssh2';
import { fail } from '../errors.js';
import { Login } from '../auth/login.js';
import type { Caller, GatewayDeps } from '../session/context.js';
import { parseDestination } from '../session/destination.js';
import { handleJump } from './jump.js';
import { handleForwardRequest, handleLocalForward } from '../relay/forwarding.js';
import { handleSessionChannel } from '../relay/session-channel.js';
import { tuneSocket, rejectWithReason, sendAuthBanner } from '../ssh/glue.js';
import { TargetSession } from '../session/target-session.js';
import type { MenuEntry } from '../session/menu.js';
import { decide } from '../policy/engine.js';

export function handleConnection(conn: Connection, info: ClientInfo, deps: GatewayDeps): void {
  const source = { sourceIp: info.ip, sourcePort: info.port };
  tuneSocket(conn);
  const log = deps.log.child(source);
  let caller: Caller | undefined;
  const banned = deps.throttle.bannedFor(info.ip);
  if (banned > 0) {
    void deps.audit.record('ConnectionRefused', source, { reason: `source address banned for ${Math.ceil(banned / 1000)}s more` }).catch(() => undefined);
    conn.on('error', () => undefined);
    conn.end();
    return;
  }
  void deps.audit.record('ConnectionOpened', source, { client: info.header.identRaw }).catch(() => undefined);

  const grace = setTimeout(() => {
    void deps.audit.record('AuthFailure', source, { reason: 'login grace time exceeded' }).catch(() => undefined);
    conn.end();
  }, deps.config.auth.loginGraceTime * 1000);
  grace.unref();

  conn.on('error', (err) => log.debug({ err: err.message }, 'client connection error'));
  conn.on('close', () => {
    clearTimeout(grace);
    void deps.audit.record('ConnectionClosed', { ...source, user: caller?.user }).catch(() => undefined);
  });

  const login = new Login(deps, source);
  login.onGiveUp = () => conn.end();
  login.say = (line) => sendAuthBanner(conn, line);
  conn.on('authentication', (ctx) => {
    login.handle(ctx).catch((err) => log.error({ err }, 'authentication error')); // refused and audited by the login
  });

  conn.on('ready', () => {
    clearTimeout(grace);
    if (!login.result) {
      conn.end();
      return;
    }
    const who = login.result.caller;
    caller = who;
    const ts = new TargetSession(deps, conn, who, parseDestination(login.result.sshUser, who.user));
    deps.live.add(ts);
    conn.on('close', () => {
      deps.live.delete(ts);
      void ts.close('client disconnected');
    });
    conn.on('session', (accept) => handleSessionChannel(accept(), ts, () => menuEntries(deps, who)));
    // Bound to a target (`ssh -l login@web1 bastion`), direct-tcpip is `-L`/`-W` through it; otherwise ProxyJump.
    conn.on('tcpip', (accept, reject, dest) =>
      ts.destination.kind === 'target' ? handleLocalForward(ts, conn, dest, accept, reject) : handleJump(deps, conn, who, dest, accept, reject),
    );
    conn.on('request', (accept, reject, name, info) => {
      if (ts.destination.kind === 'target') return handleForwardRequest(ts, conn, name, info, accept, reject);
      void deps.audit.record('PortForward', { ...source, user: who.user }, { direction: 'remote', listen: `${info.bindAddr}:${info.bindPort}`, result: 'failure', reason: 'no target to forward from: name one (LOGIN@TARGET as the user name, or ssh -J)' }).catch(() => undefined);
      reject?.();
    });
    conn.on('openssh.streamlocal', (_accept, reject) =>
      rejectWithReason(conn, reject, fail('CHANNEL_DENIED', 'unix socket forwarding').line),
    );
  });
}

/** The targets (and logins) the policy would let this user open a shell on, now, from where they are. */
async function menuEntries(deps: GatewayDeps, caller: Caller): Promise<MenuEntry[]> {
  const user = await deps.store.getUser(caller.user);
  if (!user) return [];
  const [grants, policy, targets] = await Promise.all([deps.store.grantsOf(user.name), deps.policy.current(), deps.store.listTargets()]);
  const entries: MenuEntry[] = [];
  for (const t of targets) {
    const logins = new Set([...grants.filter((g) => g.target === t.name && g.login !== '*').map((g) => g.login), t.defaultLogin]);
    for (const login of logins) {
      const d = decide({ user: user.name, userDisabled: user.disabled, sourceIp: caller.sourceIp, target: t.name, login, action: 'shell', at: new Date(), mfa: caller.mfa }, policy, grants);
      if (d.allow) entries.push({ target: t.name, login });
    }
  }
  return entries;
}
