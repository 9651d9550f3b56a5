// Users and keys from a bucket, as the classic recipe's cron job did, but continuous and all-or-nothing per user:
// `public-keys/alice.pub` creates alice with the keys in it; a changed object replaces her keys; a deleted object
// removes her (and the live-session watcher ends her sessions). Every change is an audit event and a changelog line.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { FumidaiError } from '../errors.js';
import type { BucketUsers, Directory } from '../store/store.js';
import { planSync, type Listed } from './bucket-plan.js';
import { parsePublicKey } from './public-key.js';

export interface SyncReport {
  created: string[];
  updated: string[];
  removed: string[];
  skipped: { key: string; reason: string }[];
}

export class BucketKeySync {
  #client: S3Client;
  #bucket: string;
  #prefix: string;
  #store: BucketUsers & Pick<Directory, 'getUser'>;
  /** Object versions already reported as skipped: a bad object is reported (and fetched) once, not every round. */
  #skipped = new Map<string, string>();

  constructor(client: S3Client, bucket: string, prefix: string, store: BucketUsers & Pick<Directory, 'getUser'>) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.#store = store;
  }

  async #list(): Promise<Listed[]> {
    const out: Listed[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key && o.ETag) out.push({ key: o.Key, etag: o.ETag });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** One round: one listing, and a fetch only for objects whose ETag changed. */
  async run(): Promise<SyncReport> {
    const known = await this.#store.bucketUsers();
    const listing = await this.#list();
    const plan = planSync(listing, known, this.#prefix);
    const report: SyncReport = { created: [], updated: [], removed: [], skipped: [] };
    const skip = (s: { key: string; etag: string; reason: string }) => {
      this.#skipped.set(s.key, s.etag);
      report.skipped.push({ key: s.key, reason: s.reason });
    };
    const alreadySkipped = (o: { key: string; etag: string }) => this.#skipped.get(o.key) === o.etag;
    for (const s of plan.skip) if (!alreadySkipped(s)) skip(s);
    for (const f of plan.fetch.filter((o) => !alreadySkipped(o))) {
      try {
        if (!known.some((k) => k.user === f.user) && (await this.#store.getUser(f.user))) throw new Error(`user '${f.user}' exists and is managed with the CLI`);
        const res = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: f.key }));
        const text = await res.Body!.transformToString('utf8');
        const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
        if (lines.length === 0) throw new Error('no keys in it');
        const keys = lines.map((l, i) => parsePublicKey(l, `${f.key} line ${i + 1}`));
        const outcome = await this.#store.applyBucketUser(f.key, f.etag, f.user, keys.map((k) => ({ fingerprint: k.fingerprint, type: k.type, blob: k.blob, comment: k.comment })));
        report[outcome].push(f.user);
        this.#skipped.delete(f.key);
      } catch (err) {
        const reason = err instanceof FumidaiError && err.code === 'KEY_IN_USE' ? 'a key in it already belongs to another user' : (err as Error).message;
        skip({ key: f.key, etag: f.etag, reason });
      }
    }
    const listed = new Set(listing.map((o) => o.key));
    for (const key of this.#skipped.keys()) if (!listed.has(key)) this.#skipped.delete(key); // gone: forget it
    for (const r of plan.remove) {
      await this.#store.removeBucketUser(r.objectKey, r.user);
      report.removed.push(r.user);
    }
    return report;
  }
}
