import type { Command } from 'commander';
import { fail } from '../errors.js';
import { join } from 'node:path';
import { auditRoot, nodeName } from '../audit/open.js';
import { lastEventOf } from '../audit/last-event.js';
import { backlogOf, Shipper } from '../shipping/shipper.js';
import { anchorsFor } from './anchoring.js';
import { unanchored } from '../shipping/anchor.js';
import { printTable, withStore } from './common.js';
import type { DataDir } from '../config/data-dir.js';
import type { Store } from '../store/store.js';

function shipperFor(store: Store, dir: DataDir): Shipper {
  if (!dir.config.shipping.bucket) throw fail('ARGUMENT_INVALID', `shipping is not configured: set shipping.bucket in ${dir.configFile}`);
  return new Shipper(store, dir.config.shipping, { recordings: dir.path(dir.config.recording.dir), audit: auditRoot(dir) });
}

/** Checkpoints waiting for each anchor, the threshold that makes them a warning, and an AuditTampered of a recent start. */
async function anchoring(store: Store, dir: DataDir) {
  const anchors = anchorsFor(dir, store);
  try {
    const waiting = await Promise.all(anchors.map(async (a) => ({ to: a.name, count: (await a.waiting()).length })));
    const tampered = lastEventOf(join(auditRoot(dir), nodeName(dir)), 'AuditTampered');
    return { waiting, unanchored: await unanchored(anchors), threshold: dir.config.audit.anchorBacklogAlert, tampered };
  } finally {
    for (const a of anchors) a.stop();
  }
}

export function registerShip(program: Command): void {
  program
    .command('status')
    .description('the shipping backlog: files waiting for upload, and the last errors')
    .option('--json', 'one JSON object, for monitoring scripts')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string; json?: boolean }) => {
      await withStore(opts, async (store, dir) => {
        if (dir.config.shipping.bucket) await shipperFor(store, dir).scan();
        const items = await store.spoolList();
        const pending = items.filter((i) => i.state === 'pending');
        if (opts.json) {
          const count = (state: string) => items.filter((i) => i.state === state).length;
          const destination = dir.config.shipping.bucket ? `s3://${dir.config.shipping.bucket}/${dir.config.shipping.prefix}` : null;
          const waiting = pending.map((i) => ({ objectKey: i.objectKey, attempts: i.attempts, nextAttemptAt: i.nextAttemptAt, lastError: i.lastError || null }));
          const { unanchored, tampered } = await anchoring(store, dir);
          const auditTampered = tampered ? { at: tampered.eventTime, reason: tampered.reason ?? null } : null;
          const refused = items.filter((i) => i.state === 'refused').map((i) => ({ path: i.path, error: i.lastError ?? '' }));
          return console.log(JSON.stringify({ destination, backlog: await backlogOf(store), shipped: count('shipped'), pruned: count('pruned'), unanchored, auditTampered, waiting, refused }));
        }
        console.log(`shipping: ${dir.config.shipping.bucket ? `to s3://${dir.config.shipping.bucket}/${dir.config.shipping.prefix}` : 'not configured'}`);
        console.log(`backlog: ${pending.length} file(s) waiting; shipped: ${items.filter((i) => i.state === 'shipped').length}; pruned locally: ${items.filter((i) => i.state === 'pruned').length}`);
        // Events after the newest anchored checkpoint can still be cut or rewritten without a trace outside the host.
        const { waiting, threshold, tampered } = await anchoring(store, dir);
        for (const w of waiting.filter((x) => x.count > 0)) {
          if (w.count > threshold) console.log(`warning: ${w.count} signed audit checkpoint(s) not yet anchored in the ${w.to} (more than audit.anchorBacklogAlert, ${threshold}): the trail since the newest anchored one is only on this host`);
          else console.log(`anchoring: ${w.count} signed audit checkpoint(s) on their way to the ${w.to}`);
        }
        if (tampered) console.log(`warning: at ${tampered.eventTime} the audit trail did not match its anchored checkpoints (AuditTampered): ${tampered.reason ?? ''}; run fumidai audit verify`);
        // Refused once, reported every time: the bucket holds the segment as shipped, the local file is not that any more.
        for (const i of items.filter((x) => x.state === 'refused')) console.log(`refused: ${i.lastError}`);
        if (pending.length) printTable(['WAITING', 'ATTEMPTS', 'NEXT TRY', 'LAST ERROR'], pending.map((i) => [i.objectKey, String(i.attempts), i.nextAttemptAt, i.lastError ?? '']));
      });
    });
  program
    .command('ship')
    .description('upload the shipping backlog to the bucket now, with progress')
    .option('--now', 'ship everything pending, whatever its retry time (the default; kept for scripts)')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      const { result, anchored } = await withStore(opts, async (store, dir) => {
        const shipper = shipperFor(store, dir);
        await shipper.scan();
        const result = await shipper.ship({ force: true, onProgress: (done, total, item) => process.stdout.write(`\r[${'#'.repeat(Math.round((done / total) * 30)).padEnd(30)}] ${done}/${total} ${item.objectKey.slice(-50).padEnd(50)}`) });
        // Checkpoints waiting to be anchored go too (an admin command's, while the server is down), to every anchor.
        const anchors = anchorsFor(dir, store);
        const anchored = await Promise.all(anchors.map(async (a) => ({ to: a.name, ...(await a.settled()) })));
        for (const a of anchors) a.stop();
        return { result, anchored };
      });
      if (result.shipped + result.failed.length) process.stdout.write('\n');
      console.log(`shipped ${result.shipped} file(s); backlog ${result.backlog}`);
      for (const a of anchored) if (a.shipped || a.backlog) console.log(`anchored ${a.shipped} checkpoint(s) in the ${a.to}; waiting ${a.backlog}${a.error ? ` (${a.error})` : ''}`);
      // A segment changed below what was shipped is tampering (exit 3), whatever else failed.
      for (const r of result.refused) console.error(fail('AUDIT_TAMPERED', r.error).line);
      const failed = result.failed.length ? fail('SHIP_FAILED', result.failed.length, result.failed[0]!.error) : undefined;
      if (failed && !result.refused.length) throw failed;
      if (failed) console.error(failed.line);
      if (result.refused.length) process.exitCode = 3;
    });
}
