import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AlisStream, varUint } from './alis.js';

/** Reads frames as asciinema-player's ALiS handler does (type, then LEB128 numbers, then bytes). */
function read(frame: Buffer): { type: number; nums: number[]; rest: Buffer } {
  let at = 1;
  const num = () => {
    let n = 0;
    let shift = 1;
    for (;;) {
      const b = frame[at++]!;
      n += (b & 127) * shift;
      shift *= 128;
      if (b < 128) return n;
    }
  };
  return { type: frame[0]!, nums: [num(), num(), num()], rest: frame.subarray(at) };
}

test('varUint: LEB128', () => {
  assert.deepEqual(varUint(0), [0]);
  assert.deepEqual(varUint(127), [127]);
  assert.deepEqual(varUint(300), [0xac, 0x02]);
  assert.deepEqual(varUint(2 ** 40), [128, 128, 128, 128, 128, 32]);
});

test('frames: reset with size and screen, output with its length and the time since the last frame', () => {
  let now = 1_000_000;
  const s = new AlisStream(() => now);
  const reset = s.reset(100, 30, 'screen é');
  assert.equal(reset[0], 0x01);
  assert.match(reset.toString('utf8'), /screen é$/);
  now += 2500;
  const o = read(s.output(Buffer.from('hello'))!);
  assert.deepEqual([o.type, o.nums], [0x6f, [1, 2500, 5]]);
  assert.equal(o.rest.toString(), 'hello');
  const r = read(s.resize(120, 40));
  assert.deepEqual([r.type, r.nums[2]], [0x72, 120]);
});

test('a character cut between two pieces leaves whole in the second frame', () => {
  const s = new AlisStream(() => 0);
  const e = Buffer.from('aé'); // 61 c3 a9
  const first = read(s.output(e.subarray(0, 2))!);
  assert.equal(first.rest.toString('hex'), '61');
  assert.equal(s.output(Buffer.from([])), undefined);
  const second = read(s.output(e.subarray(2))!);
  assert.equal(second.rest.toString(), 'é');
});
