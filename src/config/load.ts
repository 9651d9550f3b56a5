// Reads and validates the config file; an invalid file names its file, line and field.
import { readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { configSchema, type Config } from './schema.js';
import { parseYaml } from './yaml-validate.js';

export function parseConfig(text: string, file: string): Config {
  const parsed = parseYaml(text, configSchema);
  if (!parsed.ok) throw fail('CONFIG_INVALID', file, parsed.problem.where, parsed.problem.message);
  return parsed.value;
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
