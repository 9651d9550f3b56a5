import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { paddingPooled, pooledRandomFillSync } from './padding.js';

test('ssh2 padding: pooled random bytes fill exactly the range asked, and are not handed out twice', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const buf = Buffer.alloc(40, 0xee);
    assert.equal(pooledRandomFillSync(buf, 5, 16), buf);
    assert.ok(buf.subarray(0, 5).every((b) => b === 0xee) && buf.subarray(21).every((b) => b === 0xee));
    const hex = buf.subarray(5, 21).toString('hex');
    assert.ok(!seen.has(hex), 'a repeated 16-byte value');
    seen.add(hex);
  }
  const big = Buffer.alloc(10_000);
  pooledRandomFillSync(big);
  assert.ok(big.some((b) => b !== 0));
});

test('ssh2 padding: applied when loaded before ssh2, and crypto.randomFillSync itself is left alone', () => {
  const url = new URL('./padding.js', import.meta.url).href;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e',
    `import crypto from 'node:crypto'; const before = crypto.randomFillSync; const m = await import(${JSON.stringify(url)}); await import('ssh2'); console.log(m.paddingPooled, crypto.randomFillSync === before)`,
  ], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  assert.equal(out.trim(), 'true true');
  assert.equal(typeof paddingPooled, 'boolean');
});
