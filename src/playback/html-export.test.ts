import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { exportHtml } from './html-export.js';
import { tempDir } from '../../test/helpers/temp-dir.js';

const dir = tempDir('fumidai-html-');
const facts = { auditKey: '20260101T000000Z-alice-abcd', user: 'alice', target: 'web1', login: 'ec2-user', sourceIp: '10.0.0.5', startedAt: '2026-01-01T00:00:00Z', channel: 1, sha256: 'ab'.repeat(32), verified: true };

function embedded(html: string): string {
  const start = html.indexOf('<script id="fumidai-cast" type="application/json">') + '<script id="fumidai-cast" type="application/json">'.length;
  const end = html.indexOf('</script>', start);
  return (JSON.parse(html.slice(start, end)) as string[]).join('\n') + '\n';
}

test('html export: the asciicast comes back byte for byte, even with </script> and <!-- in what the terminal showed', async () => {
  const cast = [
    JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1767225600, title: facts.auditKey }),
    JSON.stringify([0.1, 'o', 'echo "</script><script>alert(1)</script>" <!-- é 日本\r\n']),
    JSON.stringify([0.2, 'i', 'exit\r']),
    '',
  ].join('\n');
  const src = join(dir, 'a.cast');
  writeFileSync(src, cast);
  const out = join(dir, 'a.html');
  await exportHtml(src, facts, out);
  const html = readFileSync(out, 'utf8');
  assert.equal(embedded(html), cast);
  // Only the page's own script elements close: 3 scripts, 3 closings.
  assert.equal(html.match(/<script/g)!.length, 3);
  assert.equal(html.match(/<\/script>/g)!.length, 3);
  assert.match(html, /<td>sealed sha256<\/td><td>(ab){32} \(the file matches\)<\/td>/);
  assert.match(html, /<title>alice → ec2-user@web1 · 20260101T000000Z-alice-abcd<\/title>/);
});

test('html export: the inlined player still parses as JavaScript after escaping, and a mismatch is flagged', async () => {
  const src = join(dir, 'b.cast');
  writeFileSync(src, JSON.stringify({ version: 2, width: 80, height: 24 }) + '\n');
  const out = join(dir, 'b.html');
  await exportHtml(src, { ...facts, verified: false }, out);
  const html = readFileSync(out, 'utf8');
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 2);
  assert.match(scripts[0]!, /AsciinemaPlayer/);
  for (const code of scripts) assert.doesNotThrow(() => new Script(code), 'valid JavaScript');
  assert.match(html, /class="bad">(ab){32} \(THE FILE DOES NOT MATCH: modified after sealing\)/);
});
