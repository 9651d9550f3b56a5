// The largest data packet fumidai asks its SSH peers to send on a channel: 32 KiB less 128 bytes, not ssh2's 32 KiB.
// With ProxyJump, what a target sends goes into the client's inner SSH session, whose packets travel as data of an
// outer channel that OpenSSH limits to 32 KiB. A full 32 KiB from the target made an inner packet of 32 KiB plus
// framing, which spilled about 50 bytes into a second outer packet; the recording tap avoided that by cutting and
// rejoining every chunk, a copy and a new 32 KiB buffer per packet (a sixth of the memory that kept the garbage
// collector busy during a 1 GB exec). Packets that fit whole need neither. ssh2 has no option for it: its Channel
// module exports the constant that its client and server modules read once, when they load, so it is set before.
// Must be imported before anything loads ssh2; imported first by the CLI entry point.
import { createRequire } from 'node:module';
import { PIECE_BYTES } from './limits.js';

/** True when ssh2 was loaded with the smaller packet size (false if ssh2's client or server had been loaded before). */
export const packetSizeSet = (() => {
  const require = createRequire(import.meta.url);
  // In the cache is not enough: Node 22 and later put a CommonJS module that ESM imports there before running it.
  const loaded = ['ssh2/lib/client.js', 'ssh2/lib/server.js'].some((m) => require.cache[require.resolve(m)]?.loaded);
  if (loaded) return false;
  const channel = require('ssh2/lib/Channel.js') as { PACKET_SIZE: number };
  channel.PACKET_SIZE = PIECE_BYTES;
  return true;
})();
