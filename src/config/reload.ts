// Live reload of the config file (SIGHUP, or when the file changes): the new file is validated first; an invalid one
// leaves the running configuration as it was. Sections are replaced in place, so every holder of the config object
// sees the new values; what only takes effect at start (the listeners, host keys, the store, the console's
// certificate, the single sign-on client) is reported as waiting for a restart, as a whole section or as one field of a section (`web.listen`). One write can be reloaded twice (a SIGHUP sent after editing, and the file watcher), and a value that
// waits for a restart differs from the running one at every later reload: the reloader remembers what it has
// reported, so each change is announced once.
import { loadConfig } from './load.js';
import type { Config } from './schema.js';

const RESTART_ONLY = new Set(['listen', 'hostKeys', 'store', 'metrics.listen', 'web.listen', 'web.cert', 'web.key', 'certs.userCaKey', 'certs.hostCaKey', 'certs.hostCertificates', 'certs.hostNames', 'auth.secondFactor', 'auth.oidc']);

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
      if (RESTART_ONLY.has(key)) {
        needsRestart.push(key);
        continue;
      }
      const section = current[key];
      if (section && typeof section === 'object' && !Array.isArray(section)) {
        // A section's restart-only fields keep their running value; the rest of the section applies now.
        const fresh = { ...(next[key] as Record<string, unknown>) };
        for (const field of new Set([...Object.keys(section), ...Object.keys(fresh)])) {
          if (!RESTART_ONLY.has(`${key}.${field}`)) continue;
          const running = (section as Record<string, unknown>)[field];
          if (JSON.stringify(running) !== JSON.stringify(fresh[field])) needsRestart.push(`${key}.${field}`);
          if (running === undefined) delete fresh[field];
          else fresh[field] = running;
        }
        if (JSON.stringify(section) === JSON.stringify({ ...section, ...fresh })) continue;
        Object.assign(section, fresh);
      } else (current as Record<string, unknown>)[key] = next[key];
      changed.push(key);
    }
    const valueOf = (path: string) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], next);
    const nowWaiting = JSON.stringify(needsRestart.map((path) => [path, valueOf(path)]));
    const news = changed.length > 0 || nowWaiting !== waiting;
    waiting = nowWaiting;
    return { ok: true, changed, needsRestart, news };
  };
}
