// The SSH front door: a TCP listener (front-door.ts) that admits connections and hands them to ssh2, each one then
// to connection.ts; and a clean stop.
import { splitHostPort } from '../config/host-port.js';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { GatewayDeps } from './context.js';
import { handleConnection } from './connection.js';
import { logEvent } from '../audit/log-events.js';
import { socketOf } from '../ssh/glue.js';
import { serverConfig } from './server-config.js';
import { FrontDoor } from './front-door.js';

export interface Gateway {
  address: string;
  close(): Promise<void>;
}

export async function startGateway(deps: GatewayDeps, listen: string): Promise<Gateway> {
  // ssh2's server never listens itself: it serves the sockets the front door admits.
  const onConnection = (conn: ssh2.Connection, info: ssh2.ClientInfo) => {
    const socket = socketOf(conn);
    door.versionSeen(socket);
    try {
      handleConnection(conn, info, deps, () => door.authenticated(socket));
    } catch (err) {
      deps.log.error({ err }, 'connection setup failed');
      conn.end();
    }
  };
  let hostKeys = deps.hostCerts?.forBastion();
  let ssh = new ssh2.Server(serverConfig(deps, hostKeys), onConnection);
  // A renewed host certificate comes as new host key objects, which ssh2 takes only at construction: the connections
  // after a renewal are served by a server built with them (it holds no other state; the front door listens).
  const current = () => {
    const now = deps.hostCerts?.forBastion();
    if (now !== hostKeys) [hostKeys, ssh] = [now, new ssh2.Server(serverConfig(deps, now), onConnection)];
    return ssh;
  };
  const door = new FrontDoor({ config: deps.config, audit: deps.audit, log: deps.log, throttle: deps.login.throttle }, (socket) => current().injectSocket(socket));
  const server = door.server;
  const { host, port } = splitHostPort(listen);
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  // Once listening, an accept error (EMFILE when out of file descriptors) is logged and the server goes on serving.
  server.on('error', (err: NodeJS.ErrnoException) => logEvent(deps.log, 'error', 'ListenerError', { code: err.code, err: err.message }, 'accepting a connection failed'));
  const sweeper = setInterval(() => void deps.login.throttle.sweep().catch((err) => deps.log.warn({ err: (err as Error).message }, 'throttle sweep failed')), 60_000);
  sweeper.unref();
  // Bans made by other nodes (or before a restart) arrive through the store within a couple of seconds.
  const adoptBans = () => deps.store.sourceBans(new Date().toISOString()).then((b) => deps.login.throttle.adopt(b), () => undefined);
  void adoptBans();
  const banSync = setInterval(adoptBans, 2000);
  banSync.unref();
  const addr = server.address() as AddressInfo;
  const address = addr.family === 'IPv6' ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
  return {
    address,
    close: () => {
      clearInterval(sweeper);
      clearInterval(banSync);
      return door.close();
    },
  };
}
