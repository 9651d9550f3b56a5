import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { alertsSchema } from '../config/alerts-schema.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { AlertDelivery, backoffMs } from './delivery.js';
import { AlertEngine } from './engine.js';

test('backoff: 2 s doubling, capped', () => {
  assert.deepEqual([0, 1, 2, 3, 10].map((a) => backoffMs(a, 10_000)), [2000, 4000, 8000, 10_000, 10_000]);
});

test('a flood folds into one alert with a count; a sink that never answers gives up after giveUpAfter with an event; a removed sink fails at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-delivery-'));
  const store = new SqliteStore(join(dir, 'store.db'));
  t.after(() => (store.close(), rmSync(dir, { recursive: true, force: true })));
  let now = 1_000_000;
  const config = alertsSchema.parse({ giveUpAfter: 30, maxBackoff: 8, sinks: [{ name: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/x', secretFile: 'x' }] }) as ReturnType<typeof alertsSchema.parse> & { sinks: { name: string }[] };
  const log = pino({ level: 'silent' });
  const engine = new AlertEngine({ store, config: () => config, labelsOf: async () => ({}), log, now: () => now });
  for (let i = 0; i < 50; i++) engine.feed({ name: 'PortForward', time: new Date(now).toISOString(), result: 'success', sessionId: 's1', details: { direction: 'local', destination: 'db:5432' } });
  await engine.idle();
  const sent: number[] = [];
  const events: string[] = [];
  const delivery = new AlertDelivery({
    store, config: () => config, node: 'n1', log, now: () => now, consoleUrl: () => undefined,
    senderOf: (s) => (s === 'hook' ? async (m) => (sent.push(m.count), Promise.reject(new Error('connection refused'))) : undefined),
    record: async (name, d, attempts, error) => void events.push(`${name} ${d.sink} ${attempts} ${error}`),
  });
  assert.equal(await delivery.round(), 1);
  assert.deepEqual(sent, [50], 'fifty hits, one alert with their count');
  const waits: number[] = [];
  for (let i = 0; i < 20 && !events.length; i++) {
    const [d] = (await store.recentAlerts(1))[0]!.deliveries;
    waits.push(d!.nextAt - now);
    now = d!.nextAt;
    await delivery.round();
  }
  assert.deepEqual(waits, [2000, 4000, 8000, 8000, 8000]);
  assert.deepEqual(events, ['AlertDeliveryFailure hook 6 connection refused']);
  assert.equal((await store.recentAlerts(1))[0]!.deliveries[0]!.state, 'failed');
  // A sink no longer configured: its deliveries fail at once (said, not silently kept).
  config.sinks = [];
  engine.feed({ name: 'PortForward', time: new Date(now).toISOString(), result: 'success', sessionId: 's2', details: {} });
  await engine.idle();
  await store.raiseAlert({ rule: 'x', key: 'k', severity: 'info', summary: 's', event: '{}', sinks: ['gone'] }, now, 0);
  await delivery.round();
  assert.match(events.at(-1)!, /^AlertDeliveryFailure gone 1 no sink named gone/);
});

test('Slack text: links and mentions in a typed line are escaped', async () => {
  const { slackEscape } = await import('./sinks.js');
  assert.equal(slackEscape('echo <!channel> & <http://x|y>'), 'echo &lt;!channel&gt; &amp; &lt;http://x|y&gt;');
});
