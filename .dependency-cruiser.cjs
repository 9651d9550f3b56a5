// Layer order (top imports down, never up, never sideways within a layer):
// cli → web → gateway → relay → session → alerts → (auth, upstream, shipping, evidence) → audit → (policy, playback, metrics) → (recording, identity, mfa) → store → (config, ssh) → errors, log, notices
//
// `npm test` runs these rules (test/architecture.test.ts); by hand:
//   npx depcruise src --config .dependency-cruiser.cjs
'use strict';

/** The written order, top layer first. Each entry of a layer is a folder under src/. */
const LAYERS = [
  ['cli'],
  // The web console: session-level things (the store's roles, the audit trail, playback), below the CLI that starts it.
  ['web'],
  ['gateway'],
  ['relay'],
  ['session'],
  // Alert rules and their delivery: fed every audit event and control failure, sending through shipping's syslog code.
  ['alerts'],
  ['auth', 'upstream', 'shipping', 'evidence'],
  // Below everything that leaves events, above what its event vocabulary names (policy actions, file operations).
  ['audit'],
  ['policy', 'playback', 'metrics'],
  ['recording', 'identity', 'mfa'],
  ['store'],
  ['config', 'ssh'],
  ['(root)'],
];

/** The bottom layer is not a folder but the files directly in src/ (notices.ts may not exist yet). */
const ROOT_FILES = ['errors', 'log', 'notices'];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Regular expression (as a string) for the modules of one layer entry. */
function modulesOf(entry) {
  if (entry === '(root)') return `^src/(${ROOT_FILES.map(escape).join('|')})(\\.test)?\\.ts$`;
  return `^src/${escape(entry)}/`;
}

/**
 * For each entry: it may not import any entry of its own layer (sideways) nor of a higher
 * layer (upward). Its own folder and every lower layer stay allowed.
 */
const layerRules = LAYERS.flatMap((layer, index) =>
  layer.flatMap((entry) => {
    const forbidden = LAYERS.slice(0, index + 1)
      .flat()
      .filter((other) => other !== entry);
    if (forbidden.length === 0) return []; // the top layer may import every layer
    return {
      name: `layer-${entry === '(root)' ? 'root' : entry}`,
      comment:
        `src/${entry === '(root)' ? '{' + ROOT_FILES.join(',') + '}.ts' : entry + '/'} ` +
        `may import only its own folder and layers below it (written order at the top of this file)`,
      severity: 'error',
      from: { path: modulesOf(entry) },
      to: { path: forbidden.map(modulesOf) },
    };
  }),
);

/** Every module under src/ belongs to one layer entry, so a new folder cannot slip past the order. */
const KNOWN = LAYERS.flat().map(modulesOf);

/** node: built-ins that do I/O; the pure policy decision code may use none of them (not 'net': the policy uses only
 * its pure address helpers, isIP and BlockList). */
const IO_BUILTINS = ['fs', 'child_process', 'http', 'https', 'dgram', 'worker_threads'];
const IO_BUILTIN_PATHS = `^(node:)?(${IO_BUILTINS.join('|')})(/|$)`;
const PURE_POLICY = '^src/policy/(engine|document|types)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circle, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    ...layerRules,
    {
      name: 'layer-unlisted',
      comment: 'A module under src/ that is in no layer: add its folder to LAYERS in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: KNOWN },
      to: {},
    },
    {
      name: 'layer-unlisted-target',
      comment: 'An import of a module under src/ that is in no layer: add its folder to LAYERS.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/', pathNot: KNOWN },
    },
    {
      name: 'src-not-to-test-or-bench',
      comment: 'Code in src/ never imports from test/ or bench/.',
      severity: 'error',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'src-tests-only-to-test-helpers',
      comment: 'A *.test.ts under src/ may import test/helpers/, nothing else under test/ or bench/.',
      severity: 'error',
      from: { path: '^src/.*\\.test\\.ts$' },
      to: { path: '^(test|bench)/', pathNot: '^test/helpers/' },
    },
    {
      name: 'policy-pure-no-io-builtins',
      comment: `The policy decision code (engine, document, types) uses no node: module that does I/O (${IO_BUILTINS.join(', ')}).`,
      severity: 'error',
      from: { path: PURE_POLICY },
      to: { dependencyTypes: ['core'], path: IO_BUILTIN_PATHS },
    },
    {
      name: 'policy-pure-no-store',
      comment: 'The policy decision code (engine, document, types) imports nothing from src/store at run time (types only).',
      severity: 'error',
      from: { path: PURE_POLICY },
      to: { path: '^src/store/', dependencyTypesNot: ['type-only', 'type-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` and type-only imports count as dependencies (circles and layers alike).
    tsPreCompilationDeps: true,
    // Resolution as tsc does it: NodeNext, `./x.js` specifiers that name `./x.ts` files.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
