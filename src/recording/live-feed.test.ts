import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveFeed, type LiveEvent, type LiveSource, type LiveWatcher } from './live-feed.js';

const source = (): LiveSource & { at: number } => ({ cols: 80, rows: 24, path: '/rec.cast', at: 100, position() { return this.at; }, flush: async () => undefined });

/** A watcher whose transport holds `backlog` bytes (a websocket's bufferedAmount). */
function watcher(): LiveWatcher & { got: LiveEvent[]; ended: string[]; held: number } {
  const w = { got: [] as LiveEvent[], ended: [] as string[], held: 0, send: (e: LiveEvent) => void w.got.push(e), backlog: () => w.held, end: (why: string) => void w.ended.push(why) };
  return w;
}
const out = (s: string) => Buffer.from(s);
const text = (w: { got: LiveEvent[] }) => w.got.map((e) => (e.kind === 'output' ? e.data.toString() : `[${e.cols}x${e.rows}]`)).join('');

test('a watch starts at the recording position; events queue until go(), then flow; a resize changes the start size', () => {
  const feed = new LiveFeed(1024);
  const src = source();
  const ch = feed.open('k', 1, src);
  ch.output(out('before anyone watched'));
  const w = watcher();
  const start = feed.watch('k', 1, w)!;
  assert.deepEqual([start.upTo, start.cols, start.rows, start.path], [100, 80, 24, '/rec.cast']);
  ch.output(out('a'));
  ch.resize(100, 30);
  assert.equal(w.got.length, 0, 'nothing is sent before the screen so far');
  start.go();
  ch.output(out('b'));
  assert.equal(text(w), 'a[100x30]b');
  assert.deepEqual(feed.channels('k'), [1]);
  assert.equal(feed.watch('k', 1, watcher())!.cols, 100);
  assert.equal(feed.watch('k', 2, watcher()), undefined, 'no such channel');
});

test('a queue past the bound drops that watcher only; the others and the channel go on', () => {
  const feed = new LiveFeed(10);
  const ch = feed.open('k', 1, source());
  const slow = watcher();
  const fine = watcher();
  feed.watch('k', 1, slow); // never goes live: its queue fills
  feed.watch('k', 1, fine)!.go();
  ch.output(out('12345678'));
  ch.output(out('abc'));
  assert.deepEqual(slow.ended, ['too slow']);
  assert.equal(text(fine), '12345678abc', 'a live watcher with an empty transport takes everything');
  ch.output(out('more'));
  assert.equal(slow.got.length, 0);
  assert.equal(ch.watchers, 1);
});

test('a live watcher whose transport holds more than the bound is dropped, not waited for', () => {
  const feed = new LiveFeed(100);
  const ch = feed.open('k', 1, source());
  const w = watcher();
  feed.watch('k', 1, w)!.go();
  ch.output(out('x'.repeat(60)));
  w.held = 60; // not delivered yet
  ch.output(out('y'.repeat(60)));
  assert.deepEqual(w.ended, ['too slow']);
  assert.equal(w.got.length, 1);
  assert.equal(ch.watchers, 0);
});

test('stop() unsubscribes; close() ends every watcher once and the channel leaves the feed', () => {
  const feed = new LiveFeed();
  const ch = feed.open('k', 3, source());
  const a = watcher();
  const b = watcher();
  const sa = feed.watch('k', 3, a)!;
  sa.go();
  feed.watch('k', 3, b)!.go();
  sa.stop();
  ch.output(out('z'));
  assert.deepEqual([text(a), text(b)], ['', 'z']);
  ch.close();
  ch.close();
  assert.deepEqual([a.ended, b.ended], [[], ['ended']]);
  assert.deepEqual(feed.channels('k'), []);
  assert.equal(feed.watch('k', 3, watcher()), undefined);
});

test('a queued piece is a copy: the relay may reuse its buffer meanwhile', () => {
  const feed = new LiveFeed();
  const ch = feed.open('k', 1, source());
  const w = watcher();
  const start = feed.watch('k', 1, w)!;
  const piece = out('abc');
  ch.output(piece);
  piece.fill(0x2e);
  start.go();
  assert.equal(text(w), 'abc');
});

test('a watcher that throws on end does not stop the others', () => {
  const feed = new LiveFeed();
  const ch = feed.open('k', 1, source());
  const bad = { ...watcher(), end: () => { throw new Error('boom'); } };
  const good = watcher();
  feed.watch('k', 1, bad)!.go();
  feed.watch('k', 1, good)!.go();
  ch.close();
  assert.deepEqual(good.ended, ['ended']);
});
