// Ships sealed recordings and audit segments to S3-compatible object storage. A local spool (in the store) keeps every
// file until its upload is confirmed; failures back off and retry, so an outage of any length loses nothing and the
// backlog drains when the bucket returns. Uploaded recordings are pruned locally after the retention period.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Spool, SpoolItem } from '../store/store.js';
import { auditObjectKey, recordingObjectKey } from './object-keys.js';
import { putInput, s3Client } from './s3-client.js';

export type ShippingConfig = Config['shipping'];

export interface ShipResult {
  shipped: number;
  failed: { path: string; error: string }[];
  backlog: number;
}

/** What waits for upload: files and their bytes on disk (a file gone since is counted as 0 bytes). */
export async function backlogOf(store: Pick<Spool, 'spoolList'>): Promise<{ files: number; bytes: number }> {
  const pending = (await store.spoolList()).filter((i) => i.state === 'pending' && i.kind !== 'anchor'); // anchors: their own gauge
  const sizes = await Promise.all(pending.map((i) => stat(i.path).then((s) => s.size, () => 0)));
  return { files: pending.length, bytes: sizes.reduce((a, b) => a + b, 0) };
}

export class Shipper {
  #store: Spool;
  #cfg: ShippingConfig;
  #client: S3Client;
  #recordingDir: string;
  #auditDir: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(store: Spool, cfg: ShippingConfig, dirs: { recordings: string; audit: string }, client = s3Client(cfg)) {
    this.#store = store;
    this.#cfg = cfg;
    this.#client = client;
    this.#recordingDir = dirs.recordings;
    this.#auditDir = dirs.audit;
  }

  /** Puts into the spool what should go up: new sealed recordings, and audit segments that grew since their upload. */
  async scan(): Promise<void> {
    for (const path of await this.#store.unspooledRecordings()) {
      // A recording cut after a crash has its torn tail kept aside beside it (recovery.ts): that goes up too.
      for (const p of existsSync(`${path}.torn`) ? [path, `${path}.torn`] : [path])
        await this.#store.spoolAdd({ path: p, objectKey: recordingObjectKey(this.#cfg.prefix, relative(this.#recordingDir, p)), kind: 'recording' });
    }
    if (!existsSync(this.#auditDir)) return;
    const known = new Map((await this.#store.spoolList()).map((i) => [i.path, i]));
    for (const chain of readdirSync(this.#auditDir)) {
      const dir = join(this.#auditDir, chain);
      if (!statSync(dir).isDirectory()) continue;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
        const path = join(dir, file);
        const item = known.get(path);
        if (item && item.state !== 'shipped') continue;
        if (item && item.shippedSize === statSync(path).size) continue;
        await this.#store.spoolAdd({ path, objectKey: auditObjectKey(this.#cfg.prefix, chain, file), kind: 'audit' });
      }
    }
  }

  /** Uploads what is due (everything pending with `force`); failures stay in the spool with a later retry time. */
  async ship(opts: { force?: boolean; onProgress?: (done: number, total: number, item: SpoolItem) => void } = {}): Promise<ShipResult> {
    // Anchors go up on their own path (anchors.ts): at once, in order, never overwriting.
    const due = (await this.#store.spoolDue(opts.force ? '9999' : new Date().toISOString())).filter((i) => i.kind !== 'anchor');
    const failed: ShipResult['failed'] = [];
    let shipped = 0;
    for (const [i, item] of due.entries()) {
      try {
        await this.#upload(item);
        shipped++;
      } catch (err) {
        const error = (err as Error).name === 'Error' ? (err as Error).message : `${(err as Error).name}: ${(err as Error).message}`;
        const attempts = item.attempts + 1;
        const backoffSec = Math.min(2 ** attempts, 300);
        await this.#store.spoolUpdate(item.path, { attempts, lastError: error, nextAttemptAt: new Date(Date.now() + backoffSec * 1000).toISOString() });
        failed.push({ path: item.path, error });
      }
      opts.onProgress?.(i + 1, due.length, item);
    }
    const backlog = (await this.#store.spoolList()).filter((i) => i.state === 'pending' && i.kind !== 'anchor').length;
    return { shipped, failed, backlog };
  }

  async #upload(item: SpoolItem): Promise<void> {
    const body = await readFile(item.path);
    const { input, sha256 } = putInput(this.#cfg, item.objectKey, body);
    await this.#client.send(new PutObjectCommand({ ...input, Metadata: { 'fumidai-sha256': sha256 } }));
    await this.#store.spoolUpdate(item.path, { state: 'shipped', shippedAt: new Date().toISOString(), shippedSize: body.length, sha256, lastError: '' });
  }

  /** Deletes local copies of recordings uploaded longer ago than the retention period. */
  async prune(now = Date.now()): Promise<number> {
    let pruned = 0;
    for (const item of await this.#store.spoolList()) {
      if (item.kind !== 'recording' || item.state !== 'shipped' || !item.shippedAt) continue;
      if (now - Date.parse(item.shippedAt) < this.#cfg.retentionHours * 3600 * 1000) continue;
      await unlink(item.path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await this.#store.spoolUpdate(item.path, { state: 'pruned' });
      pruned++;
    }
    return pruned;
  }

  /** One round every interval, in the background of the server. */
  start(onRound: (r: ShipResult & { pruned: number }) => void): void {
    const round = async () => {
      await this.scan();
      const r = await this.ship();
      onRound({ ...r, pruned: await this.prune() });
    };
    this.#timer = setInterval(() => {
      this.#running ??= round().catch(() => undefined).finally(() => (this.#running = undefined));
    }, this.#cfg.interval * 1000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }
}
