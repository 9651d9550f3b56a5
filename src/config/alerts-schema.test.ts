import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configReloader } from './reload.js';
import { parseConfig } from './load.js';
import { configTemplate } from './template.js';

const withAlerts = (yaml: string) => `${configTemplate}\nalerts:\n${yaml}\n`;

test('alerts config: defaults, a built-in changed by name, a new rule needs a kind, sinks named once and known', () => {
  const c = parseConfig(configTemplate, 'f.yaml').alerts;
  assert.deepEqual([c.sinks, c.rules, c.maxBackoff, c.giveUpAfter, c.lease, c.shippingBacklog], [[], {}, 60, 86400, 60, 100]);
  const ok = parseConfig(withAlerts('  rules:\n    sudo: { enabled: false }\n    mine: { kind: event, events: [PolicyDenied], sinks: [a] }\n  sinks:\n    - { name: a, type: webhook, url: "https://x.example/h", secretFile: s }'), 'f.yaml').alerts;
  assert.equal(ok.rules.sudo!.enabled, false);
  assert.throws(() => parseConfig(withAlerts('  rules:\n    mine: { events: [PolicyDenied] }'), 'f.yaml'), /needs a kind/);
  assert.throws(() => parseConfig(withAlerts('  rules:\n    sudo: { sinks: [nope] }'), 'f.yaml'), /not in alerts.sinks/);
  assert.throws(() => parseConfig(withAlerts('  sinks:\n    - { name: a, type: slack, urlFile: u }\n    - { name: a, type: slack, urlFile: v }'), 'f.yaml'), /two sinks with one name/);
  assert.throws(() => parseConfig(withAlerts('  sinks:\n    - { name: a, type: webhook, url: "https://x.example/h", secret: inline }'), 'f.yaml'), /secret/);
});

test('alerts config: a reload applies a change of rules and sinks at once, in place', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-alerts-reload-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'fumidai.yaml');
  writeFileSync(file, configTemplate);
  const running = parseConfig(configTemplate, file);
  const reload = configReloader(running, file);
  writeFileSync(file, withAlerts('  rules:\n    port-forward: { enabled: false }\n  sinks:\n    - { name: a, type: syslog, host: 127.0.0.1, port: 514 }'));
  assert.deepEqual(reload(), { ok: true, changed: ['alerts'], needsRestart: [], news: true });
  assert.equal(running.alerts.rules['port-forward']!.enabled, false);
  assert.deepEqual(running.alerts.sinks.map((s) => s.name), ['a']);
});
