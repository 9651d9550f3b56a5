// Reads and validates the config file; an invalid file names its file, line and field.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { fail } from '../errors.js';
import { configSchema, type Config } from './schema.js';

export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw fail('CONFIG_INVALID', file, `line ${pos.line}`, e.message.split('\n')[0]!);
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path;
  const node = nodeAt(doc.contents as Node | null, path);
  const line = node?.range ? `line ${lines.linePos(node.range[0]).line}` : 'top level';
  const field = path.length ? path.join('.') : 'document';
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
  throw fail('CONFIG_INVALID', file, `${line}, field ${field}`, message);
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

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail('CONFIG_UNREADABLE', file, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  return parseConfig(text, file);
}
