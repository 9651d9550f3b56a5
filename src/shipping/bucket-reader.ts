// Reading back what was shipped, with read-only credentials (s3:ListBucket and s3:GetObject on the prefix): only
// ListObjectsV2 and GetObject are sent. A session's recordings are found from the audit key alone (no local store)
// and streamed; audit segments are put together from their pieces in a temporary directory, so DuckDB and verify
// read them as local files.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../config/schema.js';
import { fail } from '../errors.js';
import { segmentInRange } from '../audit/segment-range.js';
import { anchorObjectKey, anchorOf, anchorsPrefix, AUDIT_KEY, auditPieceOf, auditPrefix, auditSegmentOf, sessionRecordingsPrefix } from './object-keys.js';
import { piecesInOrder, type PieceObject } from './segment-pieces.js';
import { s3Client } from './s3-client.js';

export interface BucketLocation {
  bucket: string;
  /** Ends with '/' (or is empty). */
  prefix: string;
  region: string;
  endpoint?: string;
}

export interface LocationFlags {
  bucket?: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
}

/** Flags first, then the shipping section of a local config (an auditor's machine may have none). */
export function bucketLocation(flags: LocationFlags, shipping?: Config['shipping']): BucketLocation {
  const bucket = flags.bucket ?? shipping?.bucket;
  if (!bucket) throw fail('ARGUMENT_INVALID', 'no bucket: give --bucket NAME (and --prefix, --endpoint, --region as shipped), or run where shipping.bucket is configured');
  const prefix = flags.prefix ?? shipping?.prefix ?? 'fumidai/';
  return {
    bucket,
    prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    region: flags.region ?? shipping?.region ?? process.env.AWS_REGION ?? 'us-east-1',
    endpoint: flags.endpoint ?? shipping?.endpoint,
  };
}

export class BucketReader {
  readonly location: BucketLocation;
  #client: S3Client;

  constructor(location: BucketLocation, client: S3Client = s3Client(location)) {
    this.location = location;
    this.#client = client;
  }

  /** `s3://BUCKET/KEY`, for messages. */
  url(key = this.location.prefix): string {
    return `s3://${this.location.bucket}/${key}`;
  }

  /** Keys under PREFIX + `sub`, in order. */
  async list(sub: string): Promise<string[]> {
    return (await this.#objects(sub)).map((o) => o.key);
  }

  async #objects(sub: string): Promise<{ key: string; size: number }[]> {
    const objects: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.#call(() => this.#client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: this.location.prefix + sub, ContinuationToken: token })));
      for (const o of page.Contents ?? []) if (o.Key) objects.push({ key: o.Key, size: o.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /**
   * Every chain's daily segments (only those of the days from `since` to `until` when given), each put together in a
   * new temporary directory as `audit/<chain>/<day>.jsonl`: from its pieces in byte order, or from the one object an
   * earlier version uploaded whole. A piece missing or overlapping another is one problem line naming the segment,
   * which then holds the bytes before it.
   */
  async auditSegments(since?: string, until?: string): Promise<{ dir: string; paths: string[]; problems: string[] }> {
    const segments = new Map<string, { whole?: string; pieces: PieceObject[] }>();
    for (const o of await this.#objects(auditPrefix(this.location.prefix).slice(this.location.prefix.length))) {
      const piece = auditPieceOf(this.location.prefix, o.key);
      const segment = piece ?? auditSegmentOf(this.location.prefix, o.key);
      if (!segment || !segmentInRange(segment.file, since, until)) continue;
      const name = `${segment.chain}/${segment.file}`;
      const entry = segments.get(name) ?? { pieces: [] };
      if (piece) entry.pieces.push({ key: o.key, offset: piece.offset, size: o.size });
      else entry.whole = o.key;
      segments.set(name, entry);
    }
    const dir = await mkdtemp(join(tmpdir(), 'fumidai-bucket-'));
    const paths: string[] = [];
    const problems: string[] = [];
    for (const [name, { whole, pieces }] of segments) {
      // Pieces, once there, are the segment: a whole object beside them is an earlier version's, left behind.
      const { keys, problem } = pieces.length ? piecesInOrder(`${this.url(auditPrefix(this.location.prefix))}${name}`, pieces) : { keys: [whole!] };
      if (problem) problems.push(problem);
      const path = join(dir, 'audit', name);
      // The key patterns admit no `..`; checked again, as whoever can write to the bucket (the bastion can) chose them.
      if (!path.startsWith(`${dir}${sep}`)) throw fail('BUCKET_UNAVAILABLE', this.url(keys[0]), 'an object key that leads outside the download directory; not fetched');
      await mkdir(dirname(path), { recursive: true });
      await this.#fetchInto(keys, path);
      paths.push(path);
    }
    return { dir, paths, problems };
  }

  /** Streams objects one after another into a new local file. */
  async #fetchInto(keys: string[], path: string): Promise<void> {
    const out = createWriteStream(path, { mode: 0o600 });
    try {
      for (const key of keys) {
        await this.#call(async () => {
          const res = await this.#client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key }));
          await pipeline(res.Body as Readable, out, { end: false });
        });
      }
    } finally {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
  }

  /** An object's bytes as they arrive, never whole in memory (a failure while they flow is a stream error). */
  async open(key: string): Promise<Readable> {
    const res = await this.#call(() => this.#client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key })));
    return res.Body as Readable;
  }

  /** The recordings of one session in channel order (torn tails left out), found from its audit key alone. */
  async sessionRecordings(auditKey: string): Promise<string[]> {
    if (!AUDIT_KEY.test(auditKey)) throw fail('ARGUMENT_INVALID', `'${auditKey}' is not an audit key (like 20261125T021503Z-alice-3f9c2a1b7e)`);
    const under = sessionRecordingsPrefix(this.location.prefix, auditKey);
    const channel = (k: string) => Number(/^(\d+)-/.exec(k.slice(under.length))?.[1] ?? Infinity);
    return (await this.list(under.slice(this.location.prefix.length))).filter((k) => /\.(cast|bin)$/.test(k)).sort((a, b) => channel(a) - channel(b));
  }

  /** Every anchored checkpoint line, by chain. */
  async anchors(): Promise<Map<string, string[]>> {
    const byChain = new Map<string, string[]>();
    for (const key of await this.list(anchorsPrefix(this.location.prefix).slice(this.location.prefix.length))) {
      const a = anchorOf(this.location.prefix, key);
      if (!a) continue;
      const lines = byChain.get(a.chain) ?? [];
      lines.push(await this.#text(key));
      byChain.set(a.chain, lines);
    }
    return byChain;
  }

  /**
   * What the start compares its tail with: the anchored line at `seq` (the last local checkpoint), if it is there, and
   * the first anchored after `head` (the local head), which should not exist. Two requests, however long the chain.
   */
  async anchorsAround(chain: string, seq: number, head: number): Promise<string[]> {
    const lines: string[] = [];
    const at = anchorObjectKey(this.location.prefix, chain, seq);
    const exact = await this.#call(() => this.#client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: at, MaxKeys: 1 })));
    if (exact.Contents?.length) lines.push(await this.#text(at));
    const after = await this.#call(() =>
      this.#client.send(new ListObjectsV2Command({ Bucket: this.location.bucket, Prefix: `${anchorsPrefix(this.location.prefix)}${chain}/`, StartAfter: anchorObjectKey(this.location.prefix, chain, head), MaxKeys: 1 })),
    );
    const beyond = after.Contents?.[0]?.Key;
    if (beyond) lines.push(await this.#text(beyond));
    return lines;
  }

  async #text(key: string): Promise<string> {
    const res = await this.#call(() => this.#client.send(new GetObjectCommand({ Bucket: this.location.bucket, Key: key })));
    return (await res.Body!.transformToString('utf8')).trim();
  }

  /** Any failure of the bucket becomes one line (BUCKET_UNAVAILABLE). */
  async #call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      const e = err as Error & { Code?: string; $metadata?: { httpStatusCode?: number } };
      const why = e.name === 'Error' || !e.name ? e.message : `${e.name}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}: ${e.message}`;
      throw fail('BUCKET_UNAVAILABLE', `s3://${this.location.bucket}/${this.location.prefix}`, why.split('\n')[0]!);
    }
  }
}
