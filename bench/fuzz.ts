// The fuzz properties of `npm test` (test/fuzz/properties.ts), run for longer: `node dist/bench/fuzz.js [RUNS] [SECONDS]`
// (default 100,000 runs or 120 s per property, whichever ends first). Prints each property's runs and time, and the
// seed and counterexample of a failure, which `fc.assert(..., { seed, path })` replays.
import fc from 'fast-check';
import { fuzzProperties } from '../test/fuzz/properties.js';

const runs = Number(process.argv[2] ?? 100_000);
const seconds = Number(process.argv[3] ?? 120);
let failed = 0;
for (const { name, property } of fuzzProperties()) {
  const started = Date.now();
  const details = await fc.check(property, { numRuns: runs, interruptAfterTimeLimit: seconds * 1000 });
  const took = ((Date.now() - started) / 1000).toFixed(1);
  if (details.failed) {
    failed++;
    console.log(`FAIL ${name}: after ${details.numRuns} runs (${took} s), seed ${details.seed}, path ${details.counterexamplePath}: ${JSON.stringify(details.counterexample)?.slice(0, 300)}`);
  } else console.log(`ok   ${name}: ${details.numRuns} runs in ${took} s${details.interrupted ? ' (time limit)' : ''}`);
}
process.exit(failed ? 1 : 0);
