#!/usr/bin/env node
// Entry point of the `fumidai` command; the CLI itself lives in src/cli (compiled to dist/).
import '../dist/src/cli/main.js';
