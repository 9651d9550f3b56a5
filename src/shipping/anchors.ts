// Anchoring the audit trail outside the host. Each signed checkpoint, the moment it is on disk, goes to the bucket as
// an object of its own (anchors/<chain>/<seq>.json) that is never overwritten, with Object Lock retention where the
// bucket has it. Someone with root on the bastion can rewrite the local trail, but not what the bucket already
// holds: `audit verify` compares the two. While the bucket is away, checkpoints wait in the spool (each staged as a
// small file) and go up in order, oldest first, when it returns.
import type { S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { listStaged } from '../audit/anchor-stage.js';
import type { Spool, SpoolItem } from '../store/store.js';
import { Rounds, type Anchor, type AnchorRound } from './anchor.js';
import { anchorObjectKey } from './object-keys.js';
import { putNew } from './s3-client.js';
import type { ShippingConfig } from './shipper.js';

export type { AnchorRound } from './anchor.js';

export class BucketAnchor implements Anchor {
  readonly name = 'bucket';
  #spool: Pick<Spool, 'spoolAdd' | 'spoolList' | 'spoolUpdate'>;
  #cfg: ShippingConfig;
  #client: S3Client;
  #dir: string;
  #retryMs: number;
  #rounds = new Rounds(() => this.#round());
  #retry: NodeJS.Timeout | undefined;
  onRound: (r: AnchorRound) => void = () => undefined;

  constructor(spool: Pick<Spool, 'spoolAdd' | 'spoolList' | 'spoolUpdate'>, cfg: ShippingConfig, dir: string, client: S3Client, retryMs = 2000) {
    this.#spool = spool;
    this.#cfg = cfg;
    this.#client = client;
    this.#dir = dir;
    this.#retryMs = retryMs;
  }

  /** Sends every waiting anchor, oldest first, stopping at the first that fails (order is kept). */
  flush(): Promise<AnchorRound> {
    return this.#rounds.flush();
  }

  /** Resolves once everything added so far has been sent, or has failed to be. */
  settled(): Promise<AnchorRound> {
    return this.#rounds.settled();
  }

  async waiting(): Promise<string[]> {
    return (await this.#spool.spoolList()).filter((i) => i.kind === 'anchor' && i.state === 'pending').map((i) => i.path);
  }

  async sent(): Promise<Set<string>> {
    return new Set((await this.#spool.spoolList()).filter((i) => i.kind === 'anchor' && i.state === 'shipped').map((i) => i.path));
  }

  /** Puts into the spool what was staged since (by the server, or by a CLI command for the admin chain). */
  async #adopt(): Promise<void> {
    const known = new Set((await this.#spool.spoolList()).filter((i) => i.kind === 'anchor').map((i) => i.path));
    for (const s of listStaged(this.#dir)) {
      if (!known.has(s.path)) await this.#spool.spoolAdd({ path: s.path, objectKey: anchorObjectKey(this.#cfg.prefix, s.chain, s.seq), kind: 'anchor' });
    }
  }

  async #round(): Promise<AnchorRound> {
    await this.#adopt();
    const waiting = (await this.#spool.spoolList()).filter((i) => i.kind === 'anchor' && i.state === 'pending').sort((a, b) => a.objectKey.localeCompare(b.objectKey));
    let shipped = 0;
    for (const item of waiting) {
      try {
        await this.#send(item);
        shipped++;
      } catch (err) {
        const error = `${(err as Error).name}: ${(err as Error).message}`;
        await this.#spool.spoolUpdate(item.path, { attempts: item.attempts + 1, lastError: error }).catch(() => undefined);
        const r = { shipped, backlog: waiting.length - shipped, error };
        this.#retry ??= setTimeout(() => {
          this.#retry = undefined;
          void this.flush();
        }, this.#retryMs).unref();
        this.onRound(r);
        return r;
      }
    }
    const r = { shipped, backlog: 0 };
    if (shipped) this.onRound(r);
    return r;
  }

  async #send(item: SpoolItem): Promise<void> {
    const body = await readFile(item.path);
    const { sha256, there } = await putNew(this.#client, this.#cfg, item.objectKey, body);
    // Already there: a send whose answer was lost is fine; different bytes under the same number are not.
    if (there && !there.equals(body)) throw new Error(`${item.objectKey} already holds a different checkpoint: the chain was forked`);
    await this.#spool.spoolUpdate(item.path, { state: 'shipped', shippedAt: new Date().toISOString(), shippedSize: body.length, sha256, lastError: '' });
  }


  stop(): void {
    clearTimeout(this.#retry);
  }
}
