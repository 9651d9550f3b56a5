// ssh2's internals, for what its public API lacks: agent channels toward the client, a reason on a refused channel,
// a banner at any point of authentication, and socket tuning. Like every module of src/ssh/ (and only those), it
// reaches past ssh2's API; each use is tested through real OpenSSH clients, so an ssh2 upgrade that moves them fails.
import ssh2, { type Connection } from 'ssh2';
import type { Duplex } from 'node:stream';
import { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { paceReads } from './read-pacing.js';

const { sendPacket } = createRequire(import.meta.url)('ssh2/lib/protocol/utils.js') as {
  sendPacket: (proto: unknown, packet: Buffer) => boolean;
};
const USERAUTH_BANNER = 53;

const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Internals = { _chanMgr: any; _protocol: any };

/**
 * Opens an `auth-agent@openssh.com` channel back to the client (ssh2 issues #1374, #792).
 * Call only after the client sent `auth-agent-req` on a session, or OpenSSH warns of a break-in attempt.
 */
export function openAgentChannel(conn: Connection, cb: (err: Error | undefined, stream?: Duplex) => void): void {
  const internals = conn as unknown as Internals;
  const wrapper = (err: Error | undefined, stream: Duplex) => cb(err, stream);
  (wrapper as unknown as { type: string }).type = 'auth-agent@openssh.com';
  const id: number = internals._chanMgr.add(wrapper);
  if (id === -1) return cb(new Error('no free channels'));
  internals._protocol.openssh_authAgent(id, MAX_WINDOW, PACKET_SIZE);
}

/** An ssh2 agent whose every connection is a fresh agent channel to the client, as OpenSSH's own forwarding does. */
export class ForwardedAgent extends ssh2.OpenSSHAgent {
  #conn: Connection;
  constructor(conn: Connection) {
    super('');
    this.#conn = conn;
  }
  override getStream(cb: (err: Error | undefined, stream?: Duplex) => void): void {
    openAgentChannel(this.#conn, cb);
  }
}

/**
 * Rejects a channel open with a description the OpenSSH client prints
 * ("open failed: administratively prohibited: <reason>"); ssh2's reject() always sends an empty one.
 */
export function rejectWithReason(conn: Connection, reject: () => void, reason: string): void {
  const proto = (conn as unknown as Internals)._protocol;
  const original = proto.channelOpenFail;
  proto.channelOpenFail = (recipient: number, code: number) => original.call(proto, recipient, code, reason);
  try {
    reject();
  } finally {
    proto.channelOpenFail = original;
  }
}

/**
 * Sends text the client shows before its next authentication prompt or failure (SSH_MSG_USERAUTH_BANNER, allowed at
 * any time before authentication succeeds; OpenSSH prints it on stderr at its default log level). ssh2 only sends
 * the one static banner of its server config, before the first attempt.
 */
export function sendAuthBanner(conn: Connection, text: string): void {
  const proto = (conn as unknown as Internals)._protocol;
  const length = Buffer.byteLength(text);
  let p: number = proto._packetRW.write.allocStart;
  const packet: Buffer = proto._packetRW.write.alloc(1 + 4 + length + 4);
  packet[p] = USERAUTH_BANNER;
  packet.writeUInt32BE(length, ++p);
  packet.write(text, (p += 4), length, 'utf8');
  packet.writeUInt32BE(0, p + length); // no language tag
  sendPacket(proto, proto._packetRW.write.finalize(packet));
}

/** The TCP socket under an ssh2 connection tuned for relaying: writes gathered per turn, reads paced in bursts. */
export function tuneSocket(conn: Connection | ssh2.Client): void {
  coalesceSocketWrites(conn);
  const sock = socketOf(conn);
  if (sock) paceReads(sock);
}

/** The TCP socket under an ssh2 connection; none for an inner ProxyJump connection, which runs over a channel. */
export function socketOf(conn: Connection | ssh2.Client): Socket | undefined {
  const sock = (conn as unknown as { _sock?: unknown })._sock;
  return sock instanceof Socket ? sock : undefined;
}

/**
 * Writes an ssh2 connection makes within one turn of the event loop leave in one system call (writev) instead of
 * one each. A socket read from a target often carries two or more packets, each relayed as its own packet to the
 * client: one write per packet made a system call, and a TCP segment, for every 32 KiB. Nothing waits longer than
 * the current turn. Since writes are gathered here, Nagle's algorithm is turned off: it had nothing left to gather
 * and would only hold a keystroke's echo or a handshake reply until the previous segment is acknowledged (OpenSSH
 * turns it off for interactive sessions too).
 */
export function coalesceSocketWrites(conn: Connection | ssh2.Client): void {
  const sock = socketOf(conn);
  if (!sock) return; // an inner ProxyJump connection: its outer one coalesces
  sock.setNoDelay(true);
  const write = sock.write;
  let corked = false;
  const uncork = () => {
    corked = false;
    sock.uncork();
  };
  sock.write = function (this: typeof sock, ...args: Parameters<typeof write>) {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as typeof write;
}
