import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveStream, type Screen } from './live-stream.js';

/** Frames by kind: 'M' magic, 'R:<screen>' reset, 'o:<text>' output, 'r' resize. */
function harness(opts: { burstBytes?: number; intervalMs?: number; failScreens?: number[] } = {}) {
  const frames: string[] = [];
  let screens = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const stream = new LiveStream({
    send: (f) => {
      const t = f[0];
      if (t === 0x01) frames.push(`R:${f.toString('utf8').split('\u0000').at(-1)!.replace(/^[\s\S]*?(screen-\d+)$/, '$1')}`);
      else if (t === 0x6f) frames.push(`o:${f.subarray(f.length - (f.length - 4)).toString('utf8').replace(/^[^a-z]*/, '')}`);
      else if (t === 0x72) frames.push('r');
      else frames.push('M');
    },
    screen: async (): Promise<Screen> => {
      const n = ++screens;
      if (hold) await new Promise<void>((r) => (release = r));
      if (opts.failScreens?.includes(n)) throw new Error('the recording could not be read');
      return { cols: 80, rows: 24, text: `screen-${n}` };
    },
    burstBytes: opts.burstBytes ?? 100,
    intervalMs: opts.intervalMs ?? 30,
  });
  return { stream, frames, screens: () => screens, holdScreens: () => (hold = true), release: () => ((hold = false), release?.()) };
}
const out = (s: string) => ({ kind: 'output' as const, data: Buffer.from(s) });

test('the screen first, then output as it comes; output during the screen follows it', async () => {
  const h = harness();
  h.holdScreens();
  const started = h.stream.start();
  h.stream.event(out('during'));
  h.release();
  await started;
  h.stream.event(out('after'));
  h.stream.event({ kind: 'resize', cols: 100, rows: 30 });
  assert.deepEqual(h.frames, ['M', 'R:screen-1', 'o:during', 'o:after', 'r']);
  h.stream.close();
});

test('a flood turns into a screen per interval, with nothing in between; a quiet session streams again', async () => {
  const h = harness({ burstBytes: 100, intervalMs: 30 });
  await h.stream.start();
  h.stream.event(out('x'.repeat(60)));
  h.stream.event(out('y'.repeat(60))); // over 100 in the interval: skipped from here
  for (let i = 0; i < 20; i++) h.stream.event(out('z'.repeat(50)));
  assert.deepEqual(h.frames.slice(2).map((f) => f.slice(0, 3)), ['o:x'], 'the flood is not sent');
  await sleep(45);
  assert.equal(h.frames.at(-1), 'R:screen-2', 'a screen after an interval');
  h.stream.event(out('calm'));
  assert.equal(h.frames.at(-1), 'o:calm', 'quiet again: streamed');
  h.stream.close();
});

test('still flooding while a screen is built: the next screen comes an interval later, the flood is never queued whole', async () => {
  const h = harness({ burstBytes: 100, intervalMs: 20 });
  await h.stream.start();
  h.stream.event(out('a'.repeat(150))); // over at once
  h.holdScreens();
  await sleep(30);
  for (let i = 0; i < 10; i++) h.stream.event(out('b'.repeat(50)));
  h.release();
  await sleep(5);
  assert.equal(h.frames.at(-1), 'R:screen-2');
  assert.ok(!h.frames.some((f) => f.startsWith('o:b')), 'what overflowed is not sent');
  await sleep(40);
  assert.ok(h.screens() >= 3, 'another screen an interval later');
  h.stream.close();
});

test('a screen that fails during a flood is not replaced by a blank one: it is tried again an interval later', async () => {
  const h = harness({ burstBytes: 100, intervalMs: 30, failScreens: [2] });
  await h.stream.start();
  h.stream.event(out('x'.repeat(150))); // a flood, then nothing more
  await sleep(45);
  assert.equal(h.screens(), 2);
  assert.ok(!h.frames.some((f) => f === 'R:' || /^R:(?!screen-)/.test(f)), `no blank screen: ${h.frames.join(' ')}`);
  await sleep(45);
  assert.equal(h.frames.at(-1), 'R:screen-3', 'the next try shows the screen');
  h.stream.close();
});

test('close stops the screens', async () => {
  const h = harness({ intervalMs: 10 });
  await h.stream.start();
  h.stream.event(out('q'.repeat(200)));
  h.stream.close();
  await sleep(30);
  assert.equal(h.screens(), 1);
});
