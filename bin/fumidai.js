#!/usr/bin/env -S node --initial-old-space-size=128
// Entry point of the `fumidai` command; the CLI itself lives in src/cli (compiled to dist/).
// The node flag: a relay allocates about 4 bytes of short-lived packet buffers per byte it passes on. With V8's default
// old-generation limit (a few dozen MB above the live heap) a busy bastion fell, in about a third of 1 GB exec runs,
// into a full mark-compact every 50-100 ms for the rest of the run: twice the CPU per GB. A 128 MB floor stopped
// that in every run measured (bench/HISTORY.md). It must be given at start (V8 sizes its heap once), hence the first line.
// Node 20 is past its end of life and its ABI differs: say so in one line instead of a native module's stack trace.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const { fail } = await import('../dist/src/errors.js'); // plain code, no native module: loads on any Node
  console.error(fail('NODE_TOO_OLD', process.version).line);
  process.exit(1);
}
await import('../dist/src/cli/main.js');
