import type { Command } from 'commander';
import { fail } from '../errors.js';
import { auditRoot } from '../audit/open.js';
import { backlogOf, Shipper } from '../shipping/shipper.js';
import { BucketAnchor } from '../shipping/anchors.js';
import { s3Client } from '../shipping/s3-client.js';
import { ANCHOR_DIR } from '../audit/anchor-stage.js';
import { printTable, withStore } from './common.js';
import type { DataDir } from '../config/data-dir.js';
import type { Store } from '../store/store.js';

function shipperFor(store: Store, dir: DataDir): Shipper {
  if (!dir.config.shipping.bucket) throw fail('ARGUMENT_INVALID', `shipping is not configured: set shipping.bucket in ${dir.configFile}`);
  return new Shipper(store, dir.config.shipping, { recordings: dir.path(dir.config.recording.dir), audit: auditRoot(dir) });
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
          const refused = items.filter((i) => i.state === 'refused').map((i) => ({ path: i.path, error: i.lastError ?? '' }));
          return console.log(JSON.stringify({ destination, backlog: await backlogOf(store), shipped: count('shipped'), pruned: count('pruned'), waiting, refused }));
        }
        console.log(`shipping: ${dir.config.shipping.bucket ? `to s3://${dir.config.shipping.bucket}/${dir.config.shipping.prefix}` : 'not configured'}`);
        console.log(`backlog: ${pending.length} file(s) waiting; shipped: ${items.filter((i) => i.state === 'shipped').length}; pruned locally: ${items.filter((i) => i.state === 'pruned').length}`);
        const anchors = pending.filter((i) => i.kind === 'anchor').length;
        // Events after the newest anchored checkpoint can still be cut or rewritten without a trace outside the host.
        if (anchors) console.log(`warning: ${anchors} signed audit checkpoint(s) not yet anchored in the bucket: the trail since the newest anchored one is only on this host`);
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
        // Checkpoints waiting to be anchored go too (an admin command's, while the server is down).
        const anchored = await new BucketAnchor(store, dir.config.shipping, dir.path(ANCHOR_DIR), s3Client(dir.config.shipping)).settled();
        return { result, anchored };
      });
      if (result.shipped + result.failed.length) process.stdout.write('\n');
      console.log(`shipped ${result.shipped} file(s); backlog ${result.backlog}`);
      if (anchored.shipped || anchored.backlog) console.log(`anchored ${anchored.shipped} checkpoint(s); waiting ${anchored.backlog}${anchored.error ? ` (${anchored.error})` : ''}`);
      // A segment changed below what was shipped is tampering (exit 3), whatever else failed.
      for (const r of result.refused) console.error(fail('AUDIT_TAMPERED', r.error).line);
      const failed = result.failed.length ? fail('SHIP_FAILED', result.failed.length, result.failed[0]!.error) : undefined;
      if (failed && !result.refused.length) throw failed;
      if (failed) console.error(failed.line);
      if (result.refused.length) process.exitCode = 3;
    });
}
