// Live reload of the config file (SIGHUP, or when the file changes): the new file is validated first; an invalid one
// leaves the running configuration as it was. Sections are replaced in place, so every holder of the config object
// sees the new values; what only takes effect at start (listen address, host keys) is reported as waiting for a
// restart. One write can be reloaded twice (a SIGHUP sent after editing, and the file watcher), and a value that
// waits for a restart differs from the running one at every later reload: the reloader remembers what it has
// reported, so each change is announced once.
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

const RESTART_ONLY = ['listen', 'hostKeys'] as const;

export type ReloadResult =
  /** news: something was applied, or what waits for a restart is not what was last reported. */
  | { ok: true; changed: string[]; needsRestart: string[]; news: boolean }
  | { ok: false; error: string };

/** Reloads `file` into `current` at each call. */
export function configReloader(current: Config, file: string): () => ReloadResult {
  let waiting = '[]'; // the restart-only values last reported as waiting, as JSON (none at start)
  return () => {
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
    const nowWaiting = JSON.stringify(needsRestart.map((key) => [key, next[key as keyof Config]]));
    const news = changed.length > 0 || nowWaiting !== waiting;
    waiting = nowWaiting;
    return { ok: true, changed, needsRestart, news };
  };
}
