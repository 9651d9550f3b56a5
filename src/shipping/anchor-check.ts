// At start, before the chain goes on: does the local tail still match what the bucket anchored? Someone who cut or
// rewrote the trail while the server was down (or after a kill -9) leaves a tail that is behind, or different from,
// the newest anchored checkpoint. Reads the newest two segments and asks the bucket twice, however long the chain.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithAnchors } from '../audit/anchored.js';
import type { BucketReader } from './bucket-reader.js';

/** One line per problem; none when the tail matches, or nothing is anchored yet. */
export async function checkTailAgainstAnchors(reader: Pick<BucketReader, 'anchorsAround'>, chain: string, chainDir: string): Promise<string[]> {
  const names = readdirSync(chainDir).filter((f) => f.endsWith('.jsonl')).sort().slice(-2);
  const segments = names.map((name) => ({ name, text: readFileSync(join(chainDir, name), 'utf8') }));
  let head = 0;
  let lastCheckpoint = 0;
  for (const seg of segments) {
    for (const line of seg.text.split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as { seq?: number; checkpoint?: unknown };
        if (typeof r.seq !== 'number') continue;
        head = Math.max(head, r.seq);
        if (r.checkpoint) lastCheckpoint = r.seq;
      } catch {
        // a broken line is for verify to name
      }
    }
  }
  const anchored = await reader.anchorsAround(chain, lastCheckpoint, head);
  return anchored.flatMap((line) => compareWithAnchors(chain, segments, [line]));
}
