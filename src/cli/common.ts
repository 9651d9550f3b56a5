// What every CLI command shares: finding the data directory and opening the store.
import { dataDirFrom, openDataDir, type DataDir } from '../config/data-dir.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { nodeName, recordAdminChange } from '../audit/open.js';
import { auditUnavailable } from '../audit/trail.js';
import type { EventDetails } from '../audit/events.js';
import { fail, FumidaiError } from '../errors.js';
import type { Command } from 'commander';
import { BucketReader, bucketLocation } from '../shipping/bucket-reader.js';

export interface DataOption {
  data?: string;
}

/** The data directory's store: PostgreSQL when FUMIDAI_STORE_URL or store.url names one, else its SQLite file. */
export function storeOf(dir: DataDir): Promise<Store> {
  return openStore({ url: process.env.FUMIDAI_STORE_URL || dir.config.store.url, sqliteFile: dir.storeFile, node: nodeName(dir) });
}

export async function withStore<T>(opts: DataOption, fn: (store: Store, dir: DataDir) => Promise<T>): Promise<T> {
  const dir = openDataDir(dataDirFrom(opts.data));
  const store = await storeOf(dir);
  try {
    return await fn(store, dir);
  } finally {
    await store.close();
  }
}

/**
 * Every administrative change is an audit event naming who made it (AdminChange, in the node's admin chain), and it is
 * written BEFORE the change is applied: a change the trail cannot hold is not made (fail closed: AUDIT_UNAVAILABLE,
 * nothing applied). The command checks what it can first (unknown user, existing target, key in use), so the event
 * is about a change that is expected to apply; if applying it still fails (another admin got there first, the store
 * went away), a second AdminChange with the same reason, result failure and details.error says it did not happen.
 * Returns what `apply` returns.
 */
export async function adminChange<T>(
  dir: DataDir,
  change: string,
  details: EventDetails['AdminChange'],
  apply: () => Promise<T>,
  record: typeof recordAdminChange = recordAdminChange, // the admin chain; a test passes its own
): Promise<T> {
  try {
    await record(dir, change, details);
  } catch (err) {
    throw auditUnavailable(err);
  }
  try {
    return await apply();
  } catch (err) {
    const error = err instanceof FumidaiError ? err.code : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    await record(dir, change, { ...details, error }, 'failure').catch((e: Error) =>
      console.error(`fumidai: warning: the audit trail holds '${change}', which was not applied, and that could not be recorded (${(e as NodeJS.ErrnoException).code ?? e.message})`),
    );
    throw err;
  }
}

/** A validated --since/--until style option, as a normalized ISO time. */
export function isoOption(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw fail('ARGUMENT_INVALID', `${name} must be an ISO 8601 time, not '${value}'`);
  return new Date(t).toISOString();
}

export interface BucketOptions extends DataOption {
  fromBucket?: boolean;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
}

/** The options of commands that can read from the bucket instead of the local data directory. */
export function bucketOptions(cmd: Command): Command {
  return cmd
    .option('--from-bucket', 'read what was shipped, from the bucket (read-only credentials suffice)')
    .option('--bucket <name>', 'bucket (default: shipping.bucket of the local config)')
    .option('--prefix <prefix>', 'prefix the bastion ships under (default: shipping.prefix, else fumidai/)')
    .option('--endpoint <url>', 'S3-compatible endpoint (default: shipping.endpoint)')
    .option('--region <region>', 'region (default: shipping.region, else $AWS_REGION)');
}

/** Whether to read from the bucket; a bucket flag without --from-bucket is a mistake, not a silent local read. */
export function fromBucket(opts: BucketOptions): boolean {
  if (opts.fromBucket) return true;
  const stray = (['bucket', 'prefix', 'endpoint', 'region'] as const).find((o) => opts[o] !== undefined);
  if (stray) throw fail('ARGUMENT_INVALID', `--${stray} says where to read from the bucket: add --from-bucket`);
  return false;
}

/** A reader for the bucket the options (or the local config, if there is one) name. */
export function bucketReader(opts: BucketOptions): BucketReader {
  let shipping;
  try {
    shipping = openDataDir(dataDirFrom(opts.data)).config.shipping;
  } catch {
    shipping = undefined; // an auditor's machine has no data directory: the flags say where to read
  }
  return new BucketReader(bucketLocation(opts, shipping));
}

/** Prints rows as aligned columns, for list commands. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}
