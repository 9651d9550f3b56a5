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
