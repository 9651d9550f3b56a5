import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configReloader } from './reload.js';
import { parseConfig } from './load.js';
import { configTemplate } from './template.js';

test('config reload: applies in place, keeps the running config on a bad file, and announces each change once', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fumidai.yaml');
  writeFileSync(file, configTemplate);
  const running = parseConfig(configTemplate, file);
  const session = running.session; // held by the gateway: it must see the new values
  const reload = configReloader(running, file);

  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: [], news: false }, 'nothing changed');
  writeFileSync(file, configTemplate.replace(/idleTimeout: \d+/, 'idleTimeout: soon'));
  const bad = reload();
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.error : '', /fumidai\.yaml: line \d+, field session\.idleTimeout/);
  assert.equal(running.session.idleTimeout, parseConfig(configTemplate, file).session.idleTimeout, 'the running value stays');

  writeFileSync(file, configTemplate.replace(/idleTimeout: \d+/, 'idleTimeout: 7'));
  assert.deepEqual(reload(), { ok: true, changed: ['session'], needsRestart: [], news: true });
  assert.equal(session.idleTimeout, 7, 'the section was updated in place');
  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: [], news: false }, 'the same write reloaded again');

  const moved = configTemplate.replace(/idleTimeout: \d+/, 'idleTimeout: 7').replace('listen: 127.0.0.1:2222', 'listen: 127.0.0.1:2223');
  writeFileSync(file, moved);
  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: ['listen'], news: true });
  assert.equal(running.listen, '127.0.0.1:2222', 'listen waits for a restart');
  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: ['listen'], news: false }, 'announced once');
  writeFileSync(file, moved.replace('listen: 127.0.0.1:2223', 'listen: 127.0.0.1:2224'));
  assert.equal((reload() as { news: boolean }).news, true, 'a different waiting value is news');
  writeFileSync(file, moved.replace(/idleTimeout: \d+/, 'idleTimeout: 8').replace('listen: 127.0.0.1:2223', 'listen: 127.0.0.1:2224'));
  assert.deepEqual(reload(), { ok: true, changed: ['session'], needsRestart: ['listen'], news: true }, 'a change reports what still waits');
  writeFileSync(file, configTemplate.replace(/idleTimeout: \d+/, 'idleTimeout: 8'));
  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: [], news: true }, 'listen back as running: nothing waits any more');
});

test('config reload: a restart-only field of a section waits (web.listen), while the rest of that section applies', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fumidai.yaml');
  writeFileSync(file, configTemplate);
  const running = parseConfig(configTemplate, file);
  const reload = configReloader(running, file);
  const web = (extra: string) => configTemplate.replace('  # listen: 127.0.0.1:8443', extra);

  writeFileSync(file, web('  listen: 127.0.0.1:9443\n  idleMinutes: 5'));
  assert.deepEqual(reload(), { ok: true, changed: ['web'], needsRestart: ['web.listen'], news: true });
  assert.equal(running.web.listen, '127.0.0.1:8443', 'the console keeps listening where it started');
  assert.equal(running.web.idleMinutes, 5, 'the idle time applies now');
  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: ['web.listen'], news: false }, 'announced once');
  writeFileSync(file, web("  listen: ''\n  idleMinutes: 5"));
  assert.deepEqual(reload(), { ok: true, changed: [], needsRestart: ['web.listen'], news: true }, 'turning it off waits too');
  writeFileSync(file, configTemplate.replace('  # url: postgres', '  url: postgres://x@db:5432/f\n  # url: postgres'));
  assert.deepEqual(reload(), { ok: true, changed: ['web'], needsRestart: ['store'], news: true }, 'the store waits; web back to defaults');
});
