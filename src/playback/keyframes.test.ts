import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import { tempDir } from '../../test/helpers/temp-dir.js';
import { forEachLines } from './cast-scan.js';
import { KeyframeTaker, lineMs, TimeScanner, type Snapshot, type TimeIndex } from './keyframes.js';
import { segmentedIndex, segmentOf } from './segments.js';

/** Lines of text, cursor moves, colours, a resize, the alternate screen, a 30 s pause, several events per ms. */
function cast(): string {
  const lines = [JSON.stringify({ version: 2, width: 40, height: 10, timestamp: 0, title: 't', env: {} })];
  let t = 0.5;
  for (let i = 0; i < 600; i++) {
    if (i % 7 !== 0) t += 0.013;
    if (i === 300) t += 30;
    let out = `\x1b[3${i % 8}mline ${i}\x1b[0m some text ${'x'.repeat(i % 23)}\r\n`;
    if (i % 50 === 10) out += `\x1b[2;5Hmoved ${i}\x1b[K\x1b[10;1H`;
    if (i === 200) out += '\x1b[?1049h\x1b[Halt screen';
    if (i === 260) out += '\x1b[?1049l';
    lines.push(JSON.stringify([Number(t.toFixed(3)), 'o', out]));
    if (i === 400) lines.push(JSON.stringify([Number(t.toFixed(3)), 'r', '50x12']));
    if (i % 40 === 0) lines.push(JSON.stringify([Number(t.toFixed(3)), 'i', 'ls\r']));
  }
  lines.push(JSON.stringify([Number((t + 1).toFixed(3)), 'o', 'END-MARKER']));
  return lines.join('\n') + '\n';
}

const newTerm = (cols: number, rows: number) => new xterm.Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
function screen(term: xterm.Terminal) {
  const b = term.buffer.active;
  const text = Array.from({ length: term.rows }, (_, y) => b.getLine(b.viewportY + y)!.translateToString(true));
  return { text, cursor: [b.cursorX, b.cursorY], size: [term.cols, term.rows], alt: b.type };
}
async function play(term: xterm.Terminal, events: [number, string, string][]) {
  for (const [, type, data] of events) type === 'r' ? term.resize(...(data.split('x').map(Number) as [number, number])) : await put(term, data);
}
const put = (term: xterm.Terminal, s: string) => new Promise<void>((r) => term.write(s, r));

test('lineMs reads event times from bytes, as JSON would', () => {
  for (const [line, ms] of [['[0.5, "o", "x"]', 500], ['[12.345, "o", ""]', 12345], ['[7, "r", "1x1"]', 7000], ['[1.23456, "o", ""]', 1235], ['[1e2, "o", ""]', 100000]] as const) {
    assert.equal(lineMs(Buffer.from(line), 0, line.length), ms, line);
  }
  assert.equal(lineMs(Buffer.from('{"x": 1}'), 0, 8), undefined);
});

test('segments: the player’s rules hold, and each keyframe plus its segment draws what the whole file up to there draws', async () => {
  const file = join(tempDir('fumidai-kf-'), 'r.cast');
  const text = cast();
  writeFileSync(file, text);
  const scanner = new TimeScanner(4096);
  await forEachLines(file, (b) => scanner.lines(b));
  const time: TimeIndex = scanner.finish(Buffer.byteLength(text));
  const snaps: Snapshot[] = [];
  const taker = new KeyframeTaker(time, (k, s) => (snaps[k] = s));
  await forEachLines(file, (b) => taker.lines(b));
  await taker.finish();
  assert.ok(time.segments.length > 8, `${time.segments.length} segments`);
  assert.equal(snaps.length, time.segments.length);
  for (const idle of [false, true]) {
    const index = segmentedIndex(time, idle, (k) => `s/${k}`);
    assert.equal(index.duration, idle ? time.durationCompMs / 1000 : time.durationMs / 1000);
    assert.ok(idle ? index.duration < 30 : index.duration > 30, 'the 30 s pause is cut to 2 s when idle time is skipped');
    let all: [number, string, string][] = [];
    const whole = newTerm(time.cols, time.rows);
    for (let k = 0; k < index.segments.length; k++) {
      const { start } = index.segments[k]!;
      const end = index.segments[k + 1]?.start ?? index.duration;
      assert.ok(k === 0 ? start === 0 : start > index.segments[k - 1]!.start && start < index.duration);
      const seg = await segmentOf(file, time, k, snaps[k]!, idle);
      if (k > 0) assert.equal(seg.events[0]![0], start, `segment ${k} starts with an event at its start`);
      for (const [t] of seg.events) assert.ok(t >= start && (k === index.segments.length - 1 ? t <= end : t < end), `segment ${k}: ${t} in [${start}, ${end})`);
      // The keyframe and the segment's events against everything before the segment's end, from the start.
      const fromKey = newTerm(seg.snapshot.cols, seg.snapshot.rows);
      await put(fromKey, seg.snapshot.init);
      await play(fromKey, seg.events);
      all = all.concat(seg.events);
      await play(whole, seg.events);
      assert.deepEqual(screen(fromKey), screen(whole), `segment ${k}`);
      fromKey.dispose();
    }
    whole.dispose();
    assert.equal(all.at(-1)![0], index.duration);
    assert.match(all.at(-1)![2] + all.at(-2)![2], /END-MARKER/);
  }
});
