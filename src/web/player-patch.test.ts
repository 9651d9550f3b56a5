import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { patchPlayer } from './player-patch.js';

const bundle = readFileSync(createRequire(import.meta.url).resolve('asciinema-player/dist/bundle/asciinema-player.min.js'), 'utf8');

test('the player patch applies once to the installed bundle: the old terminal is freed before a reset makes the next', () => {
  const patched = patchPlayer(bundle);
  assert.equal(patched.length, bundle.length + 'this.vt.free(),'.length);
  assert.match(patched, /reset\(\w+,\w+,\w+=void 0\)\{return this\.logger\.debug\(`vt: reset[^`]*`\),this\.vt\.free\(\),this\.vt=this\.wasm\.create\(/);
  assert.doesNotThrow(() => new Function(patched));
});

test('a bundle the patch does not fit is refused with one line, never served unpatched', () => {
  assert.throws(() => patchPlayer('console.log(1)'), /^Error: asciinema-player: the terminal reset to patch was found 0 times, not once/);
  const twice = bundle + bundle;
  assert.throws(() => patchPlayer(twice), /found 2 times/);
});
