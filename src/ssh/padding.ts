// Random padding for ssh2's outgoing packets, drawn from a pool instead of one randomFillSync call per packet.
// ssh2 fills each packet's 4-19 bytes of padding with crypto.randomFillSync: a call into the binding per packet, which
// was the largest single cost of a recorded pty session (about a fifth of fumidai's CPU on 200 MB of output, where
// every terminal chunk becomes a packet on the inner and on the outer connection). The pool holds bytes from the same
// CSPRNG, fetched 4 KiB at a time, each handed out once. Only ssh2's cipher module gets it: crypto.randomFillSync is
// swapped while that module loads (it keeps its own reference) and put back at once, so nothing else is affected.
// Must be imported before anything loads ssh2; imported first by the CLI entry point.
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const POOL_BYTES = 4096;
/** Larger requests go to randomFillSync itself (ssh2 pads with 4 to 19 bytes; the RFC allows up to 255). */
const POOLED_MAX = 255;

const original = crypto.randomFillSync;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let next = POOL_BYTES;

/** randomFillSync(buf, offset, size) with small requests served from the pool. */
export function pooledRandomFillSync<T extends NodeJS.ArrayBufferView>(buf: T, offset = 0, size?: number): T {
  const n = size ?? buf.byteLength - offset;
  if (!(buf instanceof Uint8Array) || n > POOLED_MAX || n < 0) return original(buf, offset, size);
  if (POOL_BYTES - next < n) {
    original(pool);
    next = 0;
  }
  pool.copy(buf, offset, next, next + n);
  pool.fill(0, next, next + n); // bytes handed out do not linger
  next += n;
  return buf;
}

/** True when ssh2's cipher module was loaded with the pooled padding (false if ssh2 had been loaded before). */
export const paddingPooled = (() => {
  const require = createRequire(import.meta.url);
  const path = require.resolve('ssh2/lib/protocol/crypto.js');
  if (require.cache[path]?.loaded) return false; // only in the cache: Node 22+ puts ESM-imported CommonJS there first
  crypto.randomFillSync = pooledRandomFillSync as typeof crypto.randomFillSync;
  try {
    require(path);
  } finally {
    crypto.randomFillSync = original;
  }
  return true;
})();
