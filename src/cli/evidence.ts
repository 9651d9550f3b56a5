// `evidence export`: one self-contained HTML page with a session's facts, events, recordings and the proof (chain
// lines up to signed checkpoints, the key); `evidence verify`: checks such a page anywhere, with no data directory.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { bundleFromPage, writeEvidencePage, type PageFacts } from '../evidence/bundle.js';
import { factsOf } from '../evidence/facts.js';
import { localBundle } from '../evidence/local-bundle.js';
import { bucketBundle } from './evidence-bucket.js';
import { verifyEvidence, type EvidenceBundle } from '../evidence/proof.js';
import { UNPINNED, type PinOptions } from './audit-key.js';
import { bucketOptions, fromBucket, withStore, type BucketOptions } from './common.js';

async function writePage(bundle: EvidenceBundle, facts: PageFacts, output: string): Promise<void> {
  await writeEvidencePage(bundle, facts, output).catch((err: NodeJS.ErrnoException) => {
    throw fail('ARGUMENT_INVALID', `cannot write ${output}: ${err.code ?? err.message}`);
  });
  console.log(`wrote ${output}: ${bundle.ranges.reduce((n, r) => n + r.lines.length, 0)} chain lines, ${bundle.recordings.length} recordings, signed by ${bundle.keyFingerprint}`);
}

export function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description('self-contained, self-verifying evidence pages for auditors without an account');
  bucketOptions(
    evidence
      .command('export <auditKey>')
      .description("a session as one HTML page: facts, events, commands, outputs, file operations, the player, and the proof")
      .requiredOption('-o, --output <file>', 'the HTML file to write')
      .option('--key <file>', 'with --from-bucket: the audit public key to embed and check against (default: the local data directory\'s)')
      .option('--fingerprint <SHA256:...>', 'with --from-bucket: refuse unless the key has this fingerprint')
      .option('--data <dir>', 'data directory'),
  ).action(async (auditKey: string, opts: BucketOptions & PinOptions & { output: string }) => {
      if (fromBucket(opts)) {
        const bundle = await bucketBundle(auditKey, opts);
        await writePage(bundle, factsOf(bundle), opts.output);
        return;
      }
      await withStore(opts, async (store, dir) => {
        const { bundle, session } = await localBundle(store, dir, auditKey);
        await writePage(bundle, session, opts.output);
      });
    });
  evidence
    .command('verify <file>')
    .description('check an evidence page: chain links, checkpoint signatures, recordings against their sealed sha256')
    .option('--fingerprint <SHA256:...>', "the audit key's fingerprint your auditors hold ('fumidai audit key' prints it)")
    .action(async (file: string, opts: { fingerprint?: string }) => {
      let bundle: EvidenceBundle | undefined;
      try {
        bundle = bundleFromPage(readFileSync(file, 'utf8'));
      } catch (err) {
        throw fail('AUDIT_TAMPERED', `${file}: its evidence is not readable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      if (!bundle) throw fail('ARGUMENT_INVALID', `${file} is not a fumidai evidence page`);
      const v = await verifyEvidence(bundle, opts.fingerprint);
      for (const p of v.problems) console.log(`DOES NOT VERIFY: ${p}`);
      if (v.ok) console.log(`valid: ${v.events} events of ${bundle.auditKey} and ${v.recordings} recordings, proven by ${v.checkpoints} checkpoints signed by ${v.fingerprint}`);
      if (opts.fingerprint === undefined) console.log(`signing key ${v.fingerprint}: ${UNPINNED}`);
      if (!v.ok) throw fail(v.pinned === false ? 'AUDIT_KEY_MISMATCH' : 'AUDIT_TAMPERED', `${file}: ${v.problems[0]}`, opts.fingerprint ?? '');
    });
}
