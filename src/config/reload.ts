// Live reload of the config file (SIGHUP, or when the file changes): the new file is validated first; an invalid one
// leaves the running configuration as it was. Sections are replaced in place, so every holder of the config object
// sees the new values; what only takes effect at start (listen address, host keys, data paths) is reported.
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

const RESTART_ONLY = ['listen', 'hostKeys'] as const;

export type ReloadResult = { ok: true; changed: string[]; needsRestart: string[] } | { ok: false; error: string };

export function reloadInto(current: Config, file: string): ReloadResult {
  let next: Config;
  try {
    next = loadConfig(file);
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const changed: string[] = [];
  const needsRestart: string[] = [];
  for (const key of Object.keys(next) as (keyof Config)[]) {
    if (JSON.stringify(current[key]) === JSON.stringify(next[key])) continue;
    if ((RESTART_ONLY as readonly string[]).includes(key)) {
      needsRestart.push(key);
      continue;
    }
    const section = current[key];
    if (section && typeof section === 'object' && !Array.isArray(section)) Object.assign(section, next[key]);
    else (current as Record<string, unknown>)[key] = next[key];
    changed.push(key);
  }
  return { ok: true, changed, needsRestart };
}
