// `fumidai alerts list|test`: the rules in force with the recent alerts and their delivery state, and one alert of a
// rule fired through the real sinks (spooled like any other, delivered by this command, and by serve if it is up).
import type { Command } from 'commander';
import { AlertDelivery } from '../alerts/delivery.js';
import { effectiveRules } from '../alerts/rules.js';
import { consoleUrlOf, deliveryFields, sendersOf } from '../alerts/wiring.js';
import { nodeName, operator, recordAdminEvent } from '../audit/open.js';
import { fail } from '../errors.js';
import { createLogger } from '../log.js';
import { printTable, withStore, type DataOption } from './common.js';

const when = (ms?: number) => (ms ? new Date(ms).toISOString().replace('.000Z', 'Z') : '-');

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('alert rules, recent alerts and their delivery');
  alerts
    .command('list')
    .description('the rules in force, then the recent alerts with the state of each sink')
    .option('--data <dir>', 'data directory')
    .option('--limit <n>', 'how many alerts', '20')
    .action((opts: DataOption & { limit: string }) =>
      withStore(opts, async (store, dir) => {
        const cfg = dir.config.alerts;
        printTable(['RULE', 'KIND', 'ON', 'SEVERITY', 'SINKS'], effectiveRules(cfg.rules).map((r) => [r.name, r.kind, r.enabled ? 'yes' : 'no', r.severity, (r.sinks ?? cfg.sinks.map((s) => s.name)).join(',') || '(none)']));
        console.log('');
        const recent = await store.recentAlerts(Number(opts.limit) || 20);
        printTable(['ID', 'FIRST', 'RULE', 'COUNT', 'DELIVERY', 'SUMMARY'], recent.map((a) => [
          String(a.id), when(a.firstAt), a.rule, String(a.count),
          a.sealedAt === undefined ? 'waiting (rate limit)' : a.deliveries.map((d) => `${d.sink}:${d.state}${d.state === 'delivered' ? '' : `(${d.attempts}${d.lastError ? ` ${d.lastError}` : ''})`}`).join(' ') || '(no sink)',
          a.summary.slice(0, 80),
        ]));
      }),
    );
  alerts
    .command('test <rule>')
    .description('fires one alert of RULE through its sinks and waits (up to --wait seconds) for each delivery')
    .option('--data <dir>', 'data directory')
    .option('--wait <seconds>', 'how long to wait for the deliveries', '20')
    .action((rule: string, opts: DataOption & { wait: string }) =>
      withStore(opts, async (store, dir) => {
        const config = () => dir.config.alerts;
        const r = effectiveRules(config().rules).find((x) => x.name === rule);
        if (!r) throw fail('ARGUMENT_INVALID', `no alert rule named '${rule}' (fumidai alerts list shows them)`);
        const sinks = r.sinks ?? config().sinks.map((s) => s.name);
        if (!sinks.length) throw fail('ARGUMENT_INVALID', 'no sink: add one under alerts.sinks in the config file');
        const now = Date.now();
        const input = { name: 'AlertTest', time: new Date(now).toISOString(), result: 'success' as const, user: operator(), reason: `fumidai alerts test ${rule}` };
        await store.raiseAlert({ rule, key: `test-${now}`, severity: r.severity, summary: `a test of rule ${rule} by ${operator()}`, event: JSON.stringify(input), sinks }, now, 0);
        const delivery = new AlertDelivery({
          store, config, node: nodeName(dir), log: createLogger('silent'),
          senderOf: sendersOf(config, (p) => dir.path(p)),
          consoleUrl: () => consoleUrlOf(config(), dir.config.web.listen),
          record: async (name, d, attempts, error) => {
            const { reason, ...details } = deliveryFields(d, attempts, error);
            await recordAdminEvent(dir, { eventName: name, user: operator(), result: name === 'AlertDelivered' ? 'success' : 'failure', ...(reason ? { reason } : {}), details });
          },
        });
        const deadline = Date.now() + Number(opts.wait) * 1000;
        let mine = (await store.recentAlerts(50)).find((a) => a.key === `test-${now}`);
        while (Date.now() < deadline) {
          await delivery.round();
          mine = (await store.recentAlerts(50)).find((a) => a.key === `test-${now}`);
          if (mine?.sealedAt !== undefined && mine.deliveries.every((d) => d.state !== 'pending')) break;
          await new Promise((res) => setTimeout(res, 500));
        }
        for (const d of mine?.deliveries ?? []) console.log(`alert ${mine!.id} to ${d.sink}: ${d.state}${d.lastError ? ` (${d.lastError})` : ''}`);
        if (!mine?.deliveries.every((d) => d.state === 'delivered')) process.exitCode = 1;
      }),
    );
}
