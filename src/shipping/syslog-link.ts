// The connection to a remote syslog: TCP, or TLS checked against the configured CA and name. A failure comes back as
// one sentence an operator can act on (refused, timed out, a certificate not trusted or for another name).
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface SyslogTarget {
  host: string;
  port: number;
  /** false: plain TCP; else TLS, trusting `ca` (PEM) or the system's CAs, checking `servername` or the host. */
  tls: false | { ca?: Buffer; servername?: string };
}

const CERT_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID']);

/** What went wrong, said for the log. */
export function describeLinkError(target: SyslogTarget, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `syslog ${target.host}:${target.port}`;
  if (code && CERT_CODES.has(code)) return `${where}: its TLS certificate is not trusted (${err.message}): check audit.anchors.syslog.tls (ca, servername)`;
  if (code === 'ECONNREFUSED') return `${where}: connection refused`;
  return `${where}: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`;
}

/** The name the certificate must hold: the configured one, else the host (an address is checked, not sent as SNI). */
const tlsName = (host: string, servername?: string) => (servername ? { servername } : isIP(host) ? {} : { servername: host });

/** Opens the connection; resolves once it is ready to write (TLS: after the handshake and the certificate check). */
export function openLink(target: SyslogTarget, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = target.tls;
    const socket: Socket = tls
      ? tlsConnect({ host: target.host, port: target.port, ...(tls.ca ? { ca: tls.ca } : {}), ...tlsName(target.host, tls.servername) })
      : tcpConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`no connection within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(describeLinkError(target, err)));
    };
    socket.once('error', fail);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setKeepAlive(true, 10_000);
      socket.resume(); // a syslog server says nothing; whatever it sends is read and dropped
      resolve(socket);
    });
  });
}

/** Writes and resolves once the kernel has taken the bytes (TCP has no acknowledgement a program can see). */
export function writeTo(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || !socket.writable) return reject(new Error('the connection was closed'));
    socket.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}
