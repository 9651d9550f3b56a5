#!/usr/bin/env -S node --initial-old-space-size=128
// Entry point of the `fumidai` command; the CLI itself lives in src/cli (compiled to dist/).
// The node flag: a relay allocates about 4 bytes of short-lived packet buffers per byte it passes on. With V8's default
// old-generation limit (a few dozen MB above the live heap) a busy bastion fell, in about a third of 1 GB exec runs,
// into a full mark-compact every 50-100 ms for the rest of the run: twice the CPU per GB. A 128 MB floor stopped
// that in every run measured (bench/HISTORY.md). It must be given at start (V8 sizes its heap once), hence the first line.
import '../dist/src/cli/main.js';
