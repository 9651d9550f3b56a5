// Parses YAML and validates it with a zod schema; the first problem is reported with its line and field, so a person
// can fix the file (used for the config file and for policy files).
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import type { ZodType, ZodTypeDef } from 'zod';

export interface YamlProblem {
  /** "line 12" or "line 12, field rules.0.from" */
  where: string;
  message: string;
}

export function parseYaml<T>(text: string, schema: ZodType<T, ZodTypeDef, unknown>): { ok: true; value: T } | { ok: false; problem: YamlProblem } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    return { ok: false, problem: { where: `line ${lines.linePos(e.pos[0]).line}`, message: e.message.split('\n')[0]! } };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {}; // an alias to nothing, or too many (a "billion laughs" file)
  } catch (err) {
    return { ok: false, problem: { where: 'top level', message: (err as Error).message.split('\n')[0]! } };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  // An unknown field is reported at its own line, not at the first line of the object that holds it.
  const node = issue.code === 'unrecognized_keys' ? keyNodeAt(doc.contents as Node | null, issue.path, issue.keys[0]!) : nodeAt(doc.contents as Node | null, issue.path);
  const line = node?.range ? `line ${lines.linePos(node.range[0]).line}` : 'top level';
  const field = issue.path.length ? issue.path.join('.') : 'document';
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
  return { ok: false, problem: { where: `${line}, field ${field}`, message } };
}

/** "line N" of the field at `path` in a YAML text (for warnings about a document that parsed). */
export function lineOf(text: string, path: (string | number)[]): string {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const node = nodeAt(doc.contents as Node | null, path);
  return node?.range ? `line ${lines.linePos(node.range[0]).line}` : 'top level';
}

function keyNodeAt(node: Node | null, path: (string | number)[], key: string): Node | null {
  const holder = nodeAt(node, path);
  const pair = isMap(holder) ? holder.items.find((p) => (p.key as { value?: unknown })?.value === key) : undefined;
  return (pair?.key as Node | undefined) ?? holder;
}

function nodeAt(node: Node | null, path: (string | number)[]): Node | null {
  let current: Node | null = node;
  for (const part of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => (p.key as { value?: unknown })?.value === part);
      if (!pair) return current;
      current = (pair.value as Node) ?? (pair.key as Node);
    } else if (isSeq(current) && typeof part === 'number') {
      current = (current.items[part] as Node) ?? current;
    } else return current;
  }
  return current;
}
