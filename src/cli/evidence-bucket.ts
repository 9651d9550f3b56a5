// `evidence export --from-bucket`: the same page made from what was shipped, on an auditor's machine with read-only
// bucket credentials and no data directory. The key comes from the auditor (--key), or from a local data directory.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { dataDirFrom, openDataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { readSegments } from '../audit/verify.js';
import { buildBundle } from '../evidence/bundle.js';
import type { EvidenceBundle } from '../evidence/proof.js';
import { localAuditKey, trustedKey, type PinOptions } from './audit-key.js';
import { bucketReader, type BucketOptions } from './common.js';

/** The bundle of one session from the bucket; `done` removes the downloaded copies. */
export async function bucketBundle(auditKey: string, opts: BucketOptions & PinOptions): Promise<EvidenceBundle> {
  const { key } = trustedKey(opts, () => {
    try {
      const dir = openDataDir(dataDirFrom(opts.data));
      return { key: localAuditKey(dir), where: 'the audit key of the local data directory' };
    } catch {
      throw fail('ARGUMENT_INVALID', 'no data directory here to take the audit key from: give --key FILE (as `fumidai audit key` prints it)');
    }
  });
  const reader = bucketReader(opts);
  // The session's day, and the next (a session may cross midnight; its last events are in the next day's segment).
  const day = `${auditKey.slice(0, 4)}-${auditKey.slice(4, 6)}-${auditKey.slice(6, 8)}`;
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const segments = await reader.auditSegments(day, next);
  const work = await mkdtemp(join(tmpdir(), 'fumidai-evidence-'));
  try {
    if (segments.problems.length) throw fail('AUDIT_TAMPERED', segments.problems[0]!);
    const recordings: string[] = [];
    await mkdir(join(work, 'recordings'));
    for (const objectKey of await reader.sessionRecordings(auditKey)) {
      const path = join(work, 'recordings', basename(objectKey));
      await pipeline(await reader.open(objectKey), createWriteStream(path, { mode: 0o600 }));
      recordings.push(path);
    }
    const audit = join(segments.dir, 'audit');
    const chains = readdirSync(audit).filter((c) => !c.endsWith('-admin')).sort();
    for (const chain of chains) {
      let bundle: EvidenceBundle | undefined;
      try {
        bundle = await buildBundle(auditKey, chain, readSegments(join(audit, chain)), key, recordings);
      } catch (err) {
        throw fail('ARGUMENT_INVALID', (err as Error).message);
      }
      if (bundle) return withSealedPaths(bundle);
    }
    throw fail('SESSION_UNKNOWN', auditKey, ` in the audit segments of ${reader.url()}`);
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(segments.dir, { recursive: true, force: true });
  }
}

/** Recordings downloaded to a temporary folder carry the path their RecordingSealed event names on the bastion. */
function withSealedPaths(bundle: EvidenceBundle): EvidenceBundle {
  const sealed = new Map<string, string>();
  for (const line of bundle.ranges.flatMap((r) => r.lines)) {
    try {
      const e = JSON.parse(line) as { eventName?: string; sessionId?: string; details?: { path?: string } } | null;
      if (e?.eventName === 'RecordingSealed' && e.sessionId === bundle.auditKey && e.details?.path) sealed.set(basename(e.details.path), e.details.path);
    } catch {
      // the verifier reports lines that do not parse
    }
  }
  return { ...bundle, recordings: bundle.recordings.map((r) => ({ ...r, path: sealed.get(r.name) ?? r.path })) };
}
