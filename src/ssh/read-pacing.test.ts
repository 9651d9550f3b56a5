import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { paceReads, ReadPacer, PACE_MS, PROBE_MS } from './read-pacing.js';

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

/** Feeds a pacer a simulated flow: `next(rest)` gives the gap (ms) and size of the read after one that rested `rest` ms. */
function simulate(next: (rest: number) => { gap: number; bytes: number }, ms: number) {
  const pacer = new ReadPacer();
  let now = 0;
  let rest = 0;
  const reads: { at: number; bytes: number; rest: number }[] = [];
  while (now < ms) {
    const r = next(rest);
    now += r.gap;
    if (rest > 0) pacer.restEnded();
    rest = pacer.onRead(r.bytes, now);
    reads.push({ at: now, bytes: r.bytes, rest });
  }
  return reads;
}

test('read pacer: terminal output (its producer sets the pace) rests, and each read gathers what came meanwhile', () => {
  // 16 MB/s, sent as it comes: read unrested, a turn of the event loop (0.25 ms) finds 4 kB, or now and then less.
  let turn = 0;
  const reads = simulate((rest) => (rest ? { gap: rest, bytes: rest * 16 * 1024 } : { gap: 0.25, bytes: ++turn % 3 ? 4096 : 700 }), 2000);
  const rested = reads.filter((r) => r.rest > 0).length;
  const bytes = reads.reduce((n, r) => n + r.bytes, 0);
  assert.ok(rested > 0.8 * reads.length, `${rested} of ${reads.length} reads rested`);
  assert.ok(bytes / reads.length > 16 * 1024, `${Math.round(bytes / reads.length)} bytes per read`);
});

test('read pacer: a flow held back by its receive buffer is let go, however small the buffer', () => {
  for (const window of [16, 24, 40, 60]) {
    // The flow begins as slowly as terminal output (exec's first bytes can), so the socket rests; then it could go far
    // faster, but waits on the window: after a rest one read takes the window, and without one it refills at once.
    let now = 0;
    const reads = simulate((rest) => {
      const gap = rest || (now < 50 ? 0.5 : 0.05);
      now += gap;
      return { gap, bytes: now < 50 ? (rest ? rest * 8 * 1024 : 4096) : window * 1024 };
    }, 1500);
    assert.ok(reads.some((r) => r.at > 50 && r.rest > 0), 'it was held back');
    const lastRest = reads.filter((r) => r.rest > 0).at(-1)?.at ?? 0;
    // Let go at the first fresh measurement of its rate, at the latest (RATE_WINDOW_MS after the burst began).
    assert.ok(lastRest <= 510, `a ${window} kB window still rested at ${lastRest.toFixed(1)} ms`);
  }
});

test('read pacer: keystrokes, a full read and a burst\'s first reads never rest', () => {
  assert.ok(simulate(() => ({ gap: 30, bytes: 100 }), 5000).every((r) => r.rest === 0), 'keystrokes 30 ms apart');
  assert.ok(simulate(() => ({ gap: 0.5, bytes: 600 }), 500).every((r) => r.rest === 0), 'a fast run of short reads begins no burst');
  const pacer = new ReadPacer();
  let at = 0;
  for (; at < PROBE_MS; at += 0.25) assert.equal(pacer.onRead(4096, at), 0, 'the first reads of a burst are read on (its probe)');
  assert.equal(pacer.onRead(4096, at), PACE_MS, 'then a slow burst rests');
  pacer.restEnded();
  assert.equal(pacer.onRead(64 * 1024, at + PACE_MS), 0, 'a read that filled the 64 kB libuv reads does not');
});
