// Ships sealed recordings and audit segments to S3-compatible object storage. A local spool (in the store) keeps every
// file until its upload is confirmed; failures back off and retry, so an outage of any length loses nothing and the
// backlog drains when the bucket returns. Uploaded recordings are pruned locally after the retention period. Audit
// segments go up as append-only pieces (segment-pieces.ts): what the bucket holds is never replaced by a later,
// possibly rewritten, copy of the file.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Spool, SpoolItem } from '../store/store.js';
import { auditObjectKey, auditPieceKey, recordingObjectKey } from './object-keys.js';
import { putInput, putNew, s3Client } from './s3-client.js';
import { adoptPiece, nextPiece } from './segment-pieces.js';

export type ShippingConfig = Config['shipping'];

export interface ShipResult {
  shipped: number;
  failed: { path: string; error: string }[];
  /** Audit segments found changed below what was shipped: not shipped again (state 'refused'), each said once. */
  refused: { path: string; error: string }[];
  backlog: number;
}

/** What waits for upload: files and their bytes on disk (a file gone since is counted as 0 bytes). */
export async function backlogOf(store: Pick<Spool, 'spoolList'>): Promise<{ files: number; bytes: number }> {
  const pending = (await store.spoolList()).filter((i) => i.state === 'pending' && i.kind !== 'anchor'); // anchors: their own gauge
  const unsent = (i: SpoolItem, size: number) => Math.max(0, size - (i.kind === 'audit' && i.pieces ? (i.shippedSize ?? 0) : 0));
  const sizes = await Promise.all(pending.map((i) => stat(i.path).then((s) => unsent(i, s.size), () => 0)));
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

  /**
   * Puts into the spool what should go up: new sealed recordings, and audit segments whose size changed since their
   * last piece (grown; or cut, which the round then reports). A rewrite that keeps the size is for `audit verify`.
   */
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
    const refused: ShipResult['refused'] = [];
    let shipped = 0;
    for (const [i, item] of due.entries()) {
      try {
        const refusal = item.kind === 'audit' ? await this.#shipSegment(item) : await this.#upload(item);
        if (refusal) {
          await this.#store.spoolUpdate(item.path, { state: 'refused', lastError: refusal });
          refused.push({ path: item.path, error: refusal });
        } else shipped++;
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
    return { shipped, failed, refused, backlog };
  }

  async #upload(item: SpoolItem): Promise<undefined> {
    const body = await readFile(item.path);
    const { input, sha256 } = putInput(this.#cfg, item.objectKey, body);
    await this.#client.send(new PutObjectCommand({ ...input, Metadata: { 'fumidai-sha256': sha256 } }));
    await this.#store.spoolUpdate(item.path, { state: 'shipped', shippedAt: new Date().toISOString(), shippedSize: body.length, sha256, lastError: '' });
  }

  /** Sends the whole lines a segment gained since its last confirmed piece; returns why not, when it must not. */
  async #shipSegment(item: SpoolItem): Promise<string | undefined> {
    let file = await readFile(item.path);
    let shipped = { size: item.shippedSize, sha256: item.sha256, pieces: item.pieces };
    for (;;) {
      const next = nextPiece(file, shipped);
      if (next.kind === 'changed') return `audit segment ${item.path} changed below what was already shipped (${next.why}); it is not shipped again, the bucket keeps what it has`;
      if (next.kind === 'none') break;
      const key = auditPieceKey(item.objectKey, next.offset);
      const { there } = await putNew(this.#client, this.#cfg, key, next.bytes);
      // Already there: sent by a round whose spool update was lost, or by another round (ship --now) that read the
      // file later: the bucket's piece counts if it is this file's bytes.
      let done = there ? adoptPiece(file, next.offset, there) : next;
      if (!done && there) done = adoptPiece((file = await readFile(item.path)), next.offset, there);
      if (!done) return `audit segment ${item.path}: ${key} already holds other bytes than the segment's from offset ${next.offset}: the segment changed after that piece went up; it is not shipped again`;
      shipped = { size: done.end, sha256: done.sha256, pieces: true };
      await this.#store.spoolUpdate(item.path, { shippedSize: done.end, sha256: done.sha256, pieces: true });
    }
    await this.#store.spoolUpdate(item.path, { state: 'shipped', shippedAt: new Date().toISOString(), lastError: '' });
    return undefined;
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
