// What to do with a listing of `public-keys/<user>.pub` objects: pure, so every case is tested without a bucket.
// An unchanged object (same ETag) costs nothing; a bad name is skipped, never half-applied.

export const BUCKET_USER_NAME = /^[a-z][-a-z0-9]*$/;

export interface Listed {
  key: string;
  etag: string;
}

export interface Known {
  objectKey: string;
  etag: string;
  user: string;
}

export interface SyncPlan {
  /** New or changed objects to fetch and apply. */
  fetch: { key: string; etag: string; user: string }[];
  /** Users whose object is gone. */
  remove: Known[];
  skip: { key: string; etag: string; reason: string }[];
}

export function planSync(listing: Listed[], known: Known[], prefix: string): SyncPlan {
  const byKey = new Map(known.map((k) => [k.objectKey, k]));
  const plan: SyncPlan = { fetch: [], remove: [], skip: [] };
  const seen = new Set<string>();
  for (const o of listing) {
    const file = o.key.slice(prefix.length);
    if (!file.endsWith('.pub') || file.includes('/')) continue; // not a user's key file
    const user = file.slice(0, -'.pub'.length);
    if (!BUCKET_USER_NAME.test(user)) {
      plan.skip.push({ key: o.key, etag: o.etag, reason: `user name '${user}' does not match ${BUCKET_USER_NAME.source}` });
      continue;
    }
    seen.add(o.key);
    if (byKey.get(o.key)?.etag !== o.etag) plan.fetch.push({ key: o.key, etag: o.etag, user });
  }
  for (const k of known) if (!seen.has(k.objectKey)) plan.remove.push(k);
  return plan;
}
