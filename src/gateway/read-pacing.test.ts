import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { paceReads, PACE_MS } from './read-pacing.js';

/** A paced receiving socket on loopback, the number of rests it took, and everything it received. */
async function pair(): Promise<{ sender: Socket; rests: () => number; received: Buffer[]; bytes: () => number; close: () => Promise<void> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const sender = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(sender, 'connect');
  sender.setNoDelay(true);
  const [receiver] = (await accepted) as [Socket];
  const handle = (receiver as unknown as { _handle: { readStop(): number; readStart(): number } })._handle;
  let stops = 0;
  let starts = 0;
  const stop = handle.readStop.bind(handle);
  const start = handle.readStart.bind(handle);
  handle.readStop = () => (stops++, stop());
  handle.readStart = () => (starts++, start());
  paceReads(receiver);
  const received: Buffer[] = [];
  let bytes = 0;
  receiver.on('data', (d: Buffer) => (received.push(d), (bytes += d.length)));
  return {
    sender,
    bytes: () => bytes,
    rests: () => {
      assert.ok(starts <= stops && stops - starts <= 1, `every rest but a current one ended (${stops} stops, ${starts} starts)`);
      return stops;
    },
    received,
    close: async () => {
      sender.destroy();
      receiver.destroy();
      server.close();
      await sleep(3 * PACE_MS); // a rest's timer that fires on a destroyed socket does nothing
    },
  };
}

/** Writes `chunks` one per turn of the event loop, so each leaves as its own TCP segment, spread over `ms`. */
async function trickle(sock: Socket, chunks: Buffer[], ms: number): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < chunks.length; i++) {
    while (performance.now() - start < (i * ms) / chunks.length) await new Promise((r) => setImmediate(r));
    sock.write(chunks[i]!);
  }
}

test('read pacing: a steady burst of packets rests between reads, and every byte arrives in order', async () => {
  const p = await pair();
  const chunks = Array.from({ length: 200 }, () => randomBytes(4096)); // terminal output: 4 kB packets, ~16 MB/s
  await trickle(p.sender, chunks, 50);
  const total = 200 * 4096;
  while (p.bytes() < total) await sleep(5);
  assert.deepEqual(Buffer.concat(p.received), Buffer.concat(chunks));
  assert.ok(p.rests() > 0, 'the burst rested');
  assert.ok(p.received.length < chunks.length, `${chunks.length} packets came in ${p.received.length} reads`);
  await p.close();
});

test('read pacing: keystroke-sized traffic and a fast flow never rest', async () => {
  const small = await pair();
  const keys = Array.from({ length: 100 }, () => randomBytes(100));
  await trickle(small.sender, keys, 20);
  while (small.bytes() < 100 * 100) await sleep(5);
  assert.equal(small.rests(), 0, 'reads under 2 kB are never held');
  await small.close();

  const fast = await pair();
  const big = randomBytes(16 * 1024 * 1024);
  fast.sender.write(big); // as fast as loopback goes: far above the paced rate
  while (fast.bytes() < big.length) await sleep(5);
  assert.deepEqual(Buffer.concat(fast.received), big);
  assert.equal(fast.rests(), 0, 'a flow that fills its reads is not slowed down');
  await fast.close();
});
