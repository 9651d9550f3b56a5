import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { lastLines, outputOf, ScreenReader, screenAt } from './live-screen.js';

const dir = tempDir('fumidai-live-screen-');
const cast = (events: [number, string, string][]) =>
  `${JSON.stringify({ version: 2, width: 40, height: 5 })}\n${events.map((e) => `${JSON.stringify(e)}\n`).join('')}`;

test('the screen after the first upTo bytes: later output is not in it; colours come back as escape sequences', async () => {
  const first = cast([[0.1, 'o', 'hello \u001b[31mred\u001b[0m\r\n'], [0.2, 'i', 'ls\r'], [0.3, 'o', 'second line\r\n']]);
  const later = `${JSON.stringify([0.4, 'o', 'not yet'])}\n`;
  const path = join(dir, 'a.cast');
  writeFileSync(path, first + later);
  const screen = await screenAt(path, Buffer.byteLength(first), { cols: 40, rows: 5 });
  assert.match(screen, /hello \u001b\[31mred/);
  assert.match(screen, /second line/);
  assert.doesNotMatch(screen, /not yet|ls/);
});

test('only the tail is replayed, from its first whole line; exact bytes from a "b" event', async () => {
  const path = join(dir, 'b.cast');
  const text = cast([[0.1, 'o', 'x'.repeat(5000)], [0.2, 'o', 'bad \ufffd'], [0.2, 'b', `o:${Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff]).toString('base64')}`], [0.3, 'o', 'end']]);
  writeFileSync(path, text);
  const out = outputOf(Buffer.from(text).subarray(2000), true);
  assert.equal(out.toString('latin1'), 'bad \u00ffend', 'the cut first line and the header are left out');
  assert.match(await screenAt(path, Buffer.byteLength(text), { cols: 40, rows: 5 }, 100), /end/);
});

test('one reader for many screens: each starts from a reset terminal, at the size asked', async () => {
  const path = join(dir, 'c.cast');
  const first = cast([[0.1, 'o', '\u001b[?1049hfull screen app']]);
  const all = first + `${JSON.stringify([0.2, 'o', '\u001b[?1049lback'])}\n`;
  writeFileSync(path, all);
  const reader = new ScreenReader();
  try {
    assert.match(await reader.at(path, Buffer.byteLength(first), { cols: 40, rows: 5 }), /full screen app/);
    const later = await reader.at(path, Buffer.byteLength(all), { cols: 20, rows: 3 }, 40);
    assert.doesNotMatch(later, /full screen app/, 'nothing left over from the screen before');
    assert.match(later, /back/);
  } finally {
    reader.dispose();
  }
});

test('a tail shorter than the last event line reaches back to a whole line instead of showing nothing', async () => {
  const path = join(dir, 'd.cast');
  const text = cast([[0.1, 'o', 'old '], [0.2, 'o', `${'w'.repeat(3000)}tail-end`]]);
  writeFileSync(path, text);
  assert.match(await screenAt(path, Buffer.byteLength(text), { cols: 80, rows: 50 }, 1000), /tail-end/);
});

test('lastLines: the last bytes from a line start', () => {
  assert.equal(lastLines(Buffer.from('one\ntwo\nthree\n'), 8).toString(), 'three\n');
  assert.equal(lastLines(Buffer.from('abcdefgh'), 3).toString(), 'fgh');
  assert.equal(lastLines(Buffer.from('ab'), 3).toString(), 'ab');
});
