// The architecture, checked by dependency-cruiser with the rules in .dependency-cruiser.cjs: no import circle,
// no import up or sideways in the written layer order, nothing unresolvable, nothing in src/ from test/ or bench/,
// and the pure policy code free of I/O modules and of the store. Beside it: no file over 400 lines, and no comment
// in src/ that cites a file outside the repository, and no class in session/ that is both the state and every
// service (at most 12 public members). A fixture tree proves the checker can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import ts from 'typescript';
import { tempDir } from './helpers/temp-dir.js';

/** The repository root: this file runs as dist/test/architecture.test.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const MAX_LINES = 400;
const EXTERNAL_CITES = ['SSH2-NOTES', 'TESTING.md', 'DESIGN.md', '../shared'];

/** Runs dependency-cruiser over `<baseDir>/src` with the repository's rules, resolving with `<baseDir>`'s tsconfig. */
async function cruiseSrc(baseDir: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(CONFIG);
  const tsConfigFile = join(baseDir, options.tsConfig?.fileName ?? 'tsconfig.json');
  const { output } = await cruise(
    ['src'],
    { ...options, baseDir, tsConfig: { fileName: tsConfigFile } },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  assert.ok(typeof output === 'object', 'dependency-cruiser returned a formatted report instead of a result');
  return output;
}

/** One line per violation: `from → to: rule`, and the whole circle for a circular one. */
function describeViolation(v: IViolation): string {
  const circle = v.cycle?.length ? ` (circle: ${[v.from, ...v.cycle.map((step) => step.name)].join(' → ')})` : '';
  return `${v.from} → ${v.to}: ${v.rule.name}${circle}`;
}

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(path));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

test('src/ keeps the layer order, has no import circle and nothing unresolvable', { timeout: 60_000 }, async () => {
  const result = await cruiseSrc(ROOT);
  assert.ok(result.summary.totalCruised > 50, `only ${result.summary.totalCruised} modules cruised: is src/ there?`);
  const lines = result.summary.violations.map(describeViolation);
  assert.equal(
    lines.length,
    0,
    `${lines.length} architecture violation(s) (rules in .dependency-cruiser.cjs):\n${lines.join('\n')}`,
  );
});

test(`no file under src/, test/ or bench/ is over ${MAX_LINES} lines`, () => {
  const tooLong = ['src', 'test', 'bench']
    .flatMap((dir) => filesUnder(join(ROOT, dir)))
    .map((file) => ({ file: relative(ROOT, file), lines: lineCount(readFileSync(file, 'utf8')) }))
    .filter(({ lines }) => lines > MAX_LINES)
    .map(({ file, lines }) => `${file}: ${lines} lines`);
  assert.deepEqual(tooLong, []);
});

test('nothing under src/ cites a file outside the repository', () => {
  const cites = filesUnder(join(ROOT, 'src')).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, index) =>
        EXTERNAL_CITES.filter((cite) => line.includes(cite)).map(
          (cite) => `${relative(ROOT, file)}:${index + 1}: ${cite}`,
        ),
      ),
  );
  assert.deepEqual(cites, []);
});

test('the checker fails on a circle (type-only included) and on an upward import', { timeout: 30_000 }, async () => {
  const base = tempDir('fumidai-architecture-');
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      include: ['src'],
    }),
    'src/store/a.ts': "import { b } from './b.js';\nexport interface A { n: number }\nexport const a = (): number => b;\n",
    'src/store/b.ts': "import type { A } from './a.js';\nexport const b = 1;\nexport const sample: A = { n: b };\n",
    'src/store/up.ts': "import { run } from '../cli/main.js';\nexport const up = run;\n",
    'src/cli/main.ts': 'export const run = (): number => 1;\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(base, name)), { recursive: true });
    writeFileSync(join(base, name), text);
  }

  const found = (await cruiseSrc(base)).summary.violations.map(describeViolation);
  const has = (from: string, to: string, rule: string): boolean =>
    found.some((line) => line.startsWith(`${from} → ${to}: ${rule}`));
  assert.ok(
    has('src/store/a.ts', 'src/store/b.ts', 'no-circular') || has('src/store/b.ts', 'src/store/a.ts', 'no-circular'),
    `no circle reported:\n${found.join('\n')}`,
  );
  assert.ok(has('src/store/up.ts', 'src/cli/main.ts', 'layer-store'), `no upward import reported:\n${found.join('\n')}`);
  // `./x.js` specifiers resolved to the `.ts` files, as tsc does under NodeNext.
  assert.ok(!found.some((line) => line.includes('not-to-unresolvable')), found.join('\n'));
});

/** Public members (fields, accessors, methods; a getter and setter pair counts once) of each class in a source text. */
function publicMembers(path: string, text: string): { name: string; members: string[] }[] {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
  const classes: { name: string; members: string[] }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isClassDeclaration(node)) {
      const names = new Set<string>();
      for (const m of node.members) {
        if (ts.isConstructorDeclaration(m) || !m.name || ts.isPrivateIdentifier(m.name)) continue;
        const hidden = ts.getCombinedModifierFlags(m as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected);
        if (!hidden) names.add(m.name.getText(source));
      }
      classes.push({ name: node.name?.text ?? '(anonymous)', members: [...names] });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return classes;
}

const MAX_SESSION_MEMBERS = 12;

test(`no class in src/session/ has more than ${MAX_SESSION_MEMBERS} public members`, () => {
  const dir = join(ROOT, 'src', 'session');
  const wide: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const c of publicMembers(file, readFileSync(join(dir, file), 'utf8')))
      if (c.members.length > MAX_SESSION_MEMBERS) wide.push(`${file}: ${c.name} has ${c.members.length} (${c.members.join(', ')})`);
  }
  assert.deepEqual(wide, []);
});

test('the public member count sees fields, accessors and methods, and not #private ones', () => {
  const text = 'class A { a = 1; get b() { return 1; } set b(v) {} c() {} #d = 1; private e = 1; static f() {} constructor() {} }';
  assert.deepEqual(publicMembers('a.ts', text), [{ name: 'A', members: ['a', 'b', 'c', 'f'] }]);
});
