import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalFilter } from './terminal-filter.js';

const filter = (s: string, pieces = 1) => {
  const f = new TerminalFilter();
  const b = Buffer.from(s, 'latin1');
  const size = Math.ceil(b.length / pieces);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(f.push(b.subarray(i, i + size)));
  return Buffer.concat(out).toString('latin1');
};

test('colors, cursor movement, modes and plain escapes pass as they were', () => {
  const screen = 'a\x1b[1;31mred\x1b[0m \x1b[2J\x1b[H\x1b[10;5H\x1b[?1049h\x1b[?25l\x1b7\x1b8\x1b(B\x1b[K\x1b[2 q\x1b[38;5;208mx\r\n\xc3\xa9\xff';
  for (const pieces of [1, 3, screen.length]) assert.equal(filter(screen, pieces), screen);
});

test('clipboard, title, links and every string sequence are dropped, whatever their terminator', () => {
  const cases = [
    '\x1b]52;c;ZWNobyBwd25lZA==\x07', // OSC 52 clipboard write
    '\x1b]52;c;?\x1b\\', // clipboard read
    '\x1b]0;evil title\x07', '\x1b]2;title\x1b\\',
    '\x1b]8;;https://evil.example/\x1b\\', // OSC 8 link
    '\x1bP$qm\x1b\\', // DCS DECRQSS
    '\x1bP1000p\x1b\\', '\x1b_apc\x1b\\', '\x1b^pm\x07', '\x1bXsos\x1b\\',
    '\xc2\x9d52;c;eA==\x07', // C1 OSC in UTF-8: the introducer dropped
  ];
  for (const c of cases) {
    for (const pieces of [1, 2, c.length]) {
      const out = filter(`<${c}>`, pieces);
      assert.ok(!/\x1b[\]P_^X]|\xc2[\x80-\x9f]/.test(out), `${JSON.stringify(c)} in ${pieces}: ${JSON.stringify(out)}`);
      assert.ok(out.startsWith('<') && out.endsWith('>'), JSON.stringify(out));
    }
  }
  assert.equal(filter('a\x1b]0;t\x1b[31mb'), 'a\x1b[31mb', 'an ESC that is not ST ends the string and starts a sequence');
});

test('requests the terminal would answer are dropped: status, attributes, window reports, mode queries', () => {
  for (const c of ['\x1b[6n', '\x1b[5n', '\x1b[?6n', '\x1b[c', '\x1b[0c', '\x1b[>c', '\x1b[=c', '\x1b[x', '\x1b[21t', '\x1b[14t', '\x1b[8;100;100t', '\x1b[?2004$p', '\x1b[>q', '\x1b[?u', '\x1b[5i', '\x1bZ']) {
    assert.equal(filter(`a${c}b`), 'ab', JSON.stringify(c));
    assert.equal(filter(`a${c}b`, c.length + 2), 'ab', JSON.stringify(c));
  }
});

test('an overlong or broken sequence is dropped; the text around it stays', () => {
  assert.equal(filter(`x\x1b[${'1;'.repeat(100)}6ny`), `x${'1;'.repeat(100).slice(65)}6ny`);
  assert.equal(filter('x\x1b[1\ny'), 'x\ny');
});
