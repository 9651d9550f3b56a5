import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsciicastRecorder, parseCast, rawBytes, type CastHeader } from './asciicast.js';
import { FileSink } from './file-sink.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-cast-');
let n = 0;
const header: CastHeader = {
  width: 80, height: 24, timestamp: 1_700_000_000, title: 'K1', env: { TERM: 'xterm-256color' },
  fumidai: { auditKey: 'K1', user: 'alice', target: 'web1', login: 'ec2-user', channel: 0 },
};

/** Records the chunks (output, or input with `i`), seals, and returns the file, its seal and its events. */
async function record(chunks: { o?: Buffer; i?: Buffer; r?: [number, number] }[], recordInput = true) {
  const path = join(dir, `${n++}.cast`);
  let t = 0;
  const rec = new AsciicastRecorder(await FileSink.create(path), header, recordInput, () => (t += 10));
  for (const c of chunks) {
    if (c.o) rec.output(c.o);
    if (c.i) rec.input(c.i);
    if (c.r) rec.resize(...c.r);
  }
  const seal = await rec.close();
  const file = readFileSync(path);
  return { path, seal, file, ...parseCast(file.toString('utf8')) };
}

/** What the real asciinema CLI prints for a file (it wants a terminal, so it runs under script(1)); undefined if absent. */
function asciinemaCat(path: string): Buffer | undefined {
  if (!existsSync('/usr/bin/asciinema') || !existsSync('/usr/bin/script')) return undefined;
  return execFileSync('script', ['-qec', `asciinema cat ${path}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
}

test('asciicast: header carries the audit key, user, target, login; the seal is the file digest', async () => {
  const { header: h, seal, file, path } = await record([{ o: Buffer.from('hi') }]);
  assert.equal(h.version, 2);
  assert.equal(h.title, 'K1');
  assert.deepEqual(h.env, { TERM: 'xterm-256color' });
  assert.deepEqual(h.fumidai, header.fumidai);
  assert.deepEqual(seal, { path, bytes: file.length, sha256: createHash('sha256').update(file).digest('hex') });
});

test('asciicast: a character split at any byte is written whole, once, with no raw event', async () => {
  const text = Buffer.from('aé✓𝄞b');
  for (let cut = 0; cut <= text.length; cut++) {
    for (let cut2 = cut; cut2 <= text.length; cut2++) {
      const { events } = await record([{ o: text.subarray(0, cut) }, { o: text.subarray(cut, cut2) }, { o: text.subarray(cut2) }]);
      assert.equal(events.map((e) => e.data).join(''), 'aé✓𝄞b', `cuts ${cut}/${cut2}`);
      assert.ok(events.every((e) => e.type === 'o' && !e.data.includes('\uFFFD')));
    }
  }
});

test('asciicast: bytes that are not UTF-8 stay recoverable, exactly, through "b" events', async () => {
  const chunks = [
    Buffer.from([0x41, 0xff, 0x42]), // invalid byte in the middle
    Buffer.from([0xe2, 0x9c]), // start of ✓ ...
    Buffer.from([0x41]), // ... broken by a plain byte
    Buffer.from('ok\u{FFFD}'), // a real U+FFFD is valid text, not a raw event
    Buffer.from([0xf0, 0x9f]), // a character the stream never finished
  ];
  const { events } = await record(chunks.map((o) => ({ o })));
  assert.deepEqual(Buffer.concat(rawBytes(events).map((e) => e.data)), Buffer.concat(chunks));
  assert.equal(events.filter((e) => e.type === 'b').length, 3);
  // Fuzz: random bytes mixed with text, cut anywhere, always come back exactly.
  for (let round = 0; round < 50; round++) {
    const stream = Buffer.concat([Buffer.from('日本語 text '), randomBytes(64), Buffer.from('✓✓'), randomBytes(8)]);
    const pieces: Buffer[] = [];
    for (let p = 0; p < stream.length; ) {
      const len = 1 + Math.floor(Math.random() * 7);
      pieces.push(stream.subarray(p, p + len));
      p += len;
    }
    const r = await record(pieces.map((o) => ({ o })));
    assert.deepEqual(Buffer.concat(rawBytes(r.events).map((e) => e.data)), stream);
  }
});

test('asciicast: input events are optional, resizes are COLSxROWS, times never go back', async () => {
  const chunks = [{ i: Buffer.from('ls\r') }, { o: Buffer.from('ls\r\na b\r\n') }, { r: [120, 40] as [number, number] }];
  const on = await record(chunks);
  assert.deepEqual(on.events.map((e) => [e.type, e.data]), [['i', 'ls\r'], ['o', 'ls\r\na b\r\n'], ['r', '120x40']]);
  assert.deepEqual(on.events.map((e) => e.time), [0.01, 0.02, 0.03]);
  const off = await record(chunks, false);
  assert.deepEqual(off.events.map((e) => e.type), ['o', 'r']);
});

test('asciicast: the real `asciinema cat` prints exactly the output bytes', async (t) => {
  const out = [
    Buffer.from('\x1b[1;32muser@web1\x1b[0m:~$ '),
    Buffer.from('ééé✓').subarray(0, 5),
    Buffer.from('ééé✓').subarray(5),
    Buffer.from('\nbare newline, CRLF\r\n"quotes" \\ \t tab \x07 bell\x00nul'),
    Buffer.from('𝄞').subarray(0, 1),
    Buffer.from('𝄞').subarray(1),
  ];
  const { path } = await record([...out.map((o) => ({ o })), { i: Buffer.from('exit\r') }, { r: [100, 30] }]);
  const shown = asciinemaCat(path);
  if (!shown) return t.skip('asciinema or script(1) is not installed (Debian: apt-get install asciinema bsdutils)');
  assert.deepEqual(shown, Buffer.concat(out));
});

test('asciicast: with a raw "b" event present, asciinema still plays the file (it skips unknown event types)', async (t) => {
  const { path } = await record([{ o: Buffer.from('before ') }, { o: Buffer.from([0xff, 0xfe]) }, { o: Buffer.from(' after') }]);
  const shown = asciinemaCat(path);
  if (!shown) return t.skip('asciinema or script(1) is not installed');
  assert.equal(shown.toString('utf8'), 'before \uFFFD\uFFFD after');
});

test('asciicast: a line the target did not echo is an "i" event with its length; held input keeps its own time', async (t) => {
  const r = await record([
    { o: Buffer.from('Password: ') }, { i: Buffer.from('hunter2') }, { i: Buffer.from('\r') }, { o: Buffer.from('\r\n$ ') },
    { i: Buffer.from('é') }, { o: Buffer.from('é') },
  ]);
  assert.ok(!r.file.includes('hunter2'));
  assert.deepEqual(r.events.map((e) => [e.time, e.type, e.data]), [
    [0.01, 'o', 'Password: '], [0.04, 'o', '\r\n$ '], [0.04, 'i', '[input not echoed: 7 bytes]\r'], [0.05, 'i', 'é'], [0.06, 'o', 'é'],
  ]);
  const shown = asciinemaCat(r.path);
  if (!shown) return t.skip('asciinema or script(1) is not installed');
  assert.equal(shown.toString('utf8'), 'Password: \r\n$ é');
});
