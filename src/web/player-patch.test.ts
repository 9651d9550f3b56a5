import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { freeReplacedTerminals } from './player-patch.js';

test('the pinned asciinema-player bundle gets its replaced terminals freed; anything else is served as it is', () => {
  const js = readFileSync(createRequire(import.meta.url).resolve('asciinema-player/dist/bundle/asciinema-player.min.js'));
  const patched = freeReplacedTerminals(js).toString('utf8');
  assert.equal(patched.split('this.vt?.free(),this.vt=this.wasm.create(').length, 2);
  assert.equal(patched.length, js.toString('utf8').length + 'this.vt?.free(),'.length);
  const other = Buffer.from('var x = 1;');
  assert.equal(freeReplacedTerminals(other), other);
});
