import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EchoGate, HELD_BYTES, SCAN_BYTES, type Release } from './echo-gate.js';

type Step = { i: string } | { o: string };

/** Runs the steps through a gate; the input it lets be recorded, as text, `|` marking each output step. */
function run(steps: Step[], gate = new EchoGate()): string {
  let text = '';
  const show = (rs: Release[]) => {
    for (const r of rs) text += 'bytes' in r ? r.bytes.toString('latin1') : `[${r.hidden}]${r.end.toString('latin1')}`;
  };
  steps.forEach((s, t) => {
    if ('i' in s) show(gate.input(Buffer.from(s.i, 'latin1'), t));
    else {
      show(gate.output(Buffer.from(s.o, 'latin1')));
      text += '|';
    }
  });
  show(gate.end());
  return text;
}
const keys = (text: string, echo: (c: string) => string = (c) => c): Step[] => [...text].flatMap((c) => [{ i: c }, { o: echo(c) }]);

test('echo gate: a line typed at a shell is recorded as typed, each key just before its echo', () => {
  assert.equal(run(keys('ls')), 'l|s|');
  assert.equal(run([...keys('ls'), { i: '\r' }, { o: '\r\nfile\r\n$ ' }]), 'l|s|\r|');
  // Colours and redraws between the characters (zsh's highlighting) do not hide the echo.
  assert.equal(run([{ i: 'ec' }, { o: '\x1b[31me\x1b[0m\x1b]0;title\x07c' }, { i: '\r' }]), 'ec|\r');
});

test('echo gate: a line typed where nothing is echoed is recorded as its length only', () => {
  const silent: Step[] = [...'hunter2-secret'].map((c) => ({ i: c }));
  assert.equal(run([...silent, { i: '\r' }, { o: 'got-14\r\n$ ' }, { i: 'x' }]), '|[14]\rx');
  // The same pasted in one piece, and at a prompt that shows a star for each key.
  assert.equal(run([{ i: 'hunter2-secret\r' }, { o: '\r\n' }, { i: 'l' }, { o: 'l' }]), '|[14]\rl|');
  assert.equal(run([...keys('hunter2', () => '*'), { i: '\r' }, { o: '\r\n' }]), '|||||||[7]\r|');
  // Ctrl-C at the prompt ends the line too; Backspace counts as a typed byte.
  assert.equal(run([{ i: 'hux\x7f' }, { i: '\x03' }, { o: '^C\r\n$ ' }]), '|[4]\x03');
  // When the recording closes, a line that ended unechoed is hidden; an unfinished one is kept.
  assert.equal(run([{ i: 'pw\r' }]), '[2]\r');
  assert.equal(run([{ i: 'q' }, { o: '\x1b[?1049l' }]), '|q');
});

test('echo gate: pasted lines are kept when their echo comes after the Enter, even behind other output', () => {
  assert.equal(run([{ i: 'echo visible-text\r' }, { o: 'echo visible-text\r\nvisible-text\r\n' }]), 'echo visible-text\r|');
  const out = 'echo a\r\na\r\n$ echo b\r\nb\r\n$ ';
  assert.equal(run([{ i: 'echo a\recho b\r' }, { o: out }]), 'echo a\recho b\r|');
  // Keys typed ahead of a slow link: the echo of the first arrives between them.
  assert.equal(run([{ i: 'l' }, { i: 's' }, { o: 'l' }, { i: 'x' }, { o: 's' }, { o: 'x' }, { i: '\r' }]), '||lsx|\r');
});

test('echo gate: keys of a full-screen app pass once a later key is shown; keys without printable bytes never wait', () => {
  // vim: j and dd answered by cursor moves and a redraw, then `:` shows on the command line.
  const vim: Step[] = [{ i: 'j' }, { o: '\x1b[5;1H' }, { i: 'dd' }, { o: '\x1b[5;1H\x1b[Kfoo' }, { i: ':' }, { o: '\x1b[24;1H:' }, { i: 'wq\r' }];
  assert.equal(run(vim), '||jdd:|wq\r');
  const gate = new EchoGate();
  for (const k of ['\x1b[A', '\x03', '\r', '\t', '\x1bOB', '\x1b[15~']) {
    assert.equal(gate.input(Buffer.from(k), 0).length, 1, JSON.stringify(k));
    assert.equal(gate.pending, false);
  }
});

test('echo gate: bounded: a big paste is kept, and an Enter is judged within SCAN_BYTES of output', () => {
  const paste = 'x'.repeat(HELD_BYTES + 100);
  assert.equal(run([{ i: paste }]), paste);
  const gate = new EchoGate();
  gate.input(Buffer.from('secret\r'), 0);
  const noise = Buffer.alloc(SCAN_BYTES + 1, 'y');
  const released = gate.output(noise);
  assert.deepEqual(released.map((r) => 'hidden' in r && r.hidden), [6]);
  assert.equal(gate.pending, false);
});

// Small alphabet: letters that may or may not come back, line ends, escape sequences, stars.
const bytes = fc.array(fc.constantFrom('a', 'b', 'c', '*', ' ', '\r', '\x03', '\x7f', '\x1b', '[', 'A', '\x1b[1m', '\r\n'), { maxLength: 12 }).map((a) => a.join(''));
const steps = fc.array(fc.oneof(bytes.map((i): Step => ({ i })), bytes.map((o): Step => ({ o }))), { maxLength: 30 });

test('echo gate (property): decisions do not depend on how input and output are cut into chunks; every byte is accounted for', () => {
  fc.assert(fc.property(steps, fc.array(fc.nat(), { maxLength: 40 }), (s, cuts) => {
    const whole = trace(s, (x) => [x]);
    let k = 0;
    const cut = (x: string): string[] => {
      const out: string[] = [];
      for (let from = 0; from < x.length; ) {
        const to = Math.min(x.length, from + 1 + ((cuts[k++ % Math.max(1, cuts.length)] ?? 0) % 4));
        out.push(x.slice(from, to));
        from = to;
      }
      return out.length ? out : [x];
    };
    assert.deepEqual(trace(s, cut), whole);
    const typed = s.reduce((n, x) => n + ('i' in x ? x.i.length : 0), 0);
    assert.equal(whole.accounted, typed);
  }), { numRuns: Number(process.env.ECHO_RUNS ?? 2000) });
});

/** The releases of each step (by index), with the step's text cut into pieces by `cut`. */
function trace(s: Step[], cut: (x: string) => string[]): { steps: string[]; accounted: number } {
  const gate = new EchoGate();
  let accounted = 0;
  const show = (rs: Release[]) => rs.map((r) => {
    accounted += 'bytes' in r ? r.bytes.length : r.hidden + r.end.length;
    return 'bytes' in r ? r.bytes.toString('latin1') : `[${r.hidden}]${r.end.toString('latin1')}`;
  }).join('');
  const out = s.map((x, t) => cut('i' in x ? x.i : x.o).map((p) => show('i' in x ? gate.input(Buffer.from(p, 'latin1'), t) : gate.output(Buffer.from(p, 'latin1')))).join(''));
  out.push(show(gate.end()));
  return { steps: out, accounted };
}
