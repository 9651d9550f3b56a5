// What `init` and `serve` do about who may read the data directory, and about running as root.
import type { Logger } from 'pino';
import type { DataDir } from '../config/data-dir.js';
import { octal, tightenModes, type ModeFix } from '../config/file-modes.js';
import { logEvent } from '../audit/log-events.js';

/** The data directory and the configured directories fumidai writes to, which may lie outside it. */
export function privateRoots(dir: DataDir): string[] {
  return [dir.dir, dir.path(dir.config.recording.dir), dir.path(dir.config.audit.dir)];
}

export function describeFix(f: ModeFix): string {
  return f.error ? `${f.path} is ${octal(f.from)} and could not be set to ${octal(f.to)} (${f.error})` : `${f.path} was ${octal(f.from)}, now ${octal(f.to)}`;
}

/** At start: tightens what is wider than 0700/0600, one warning each, and warns when running as root. */
export function checkPrivacy(dir: DataDir, log: Logger): void {
  for (const f of tightenModes(privateRoots(dir))) {
    logEvent(log, f.error ? 'error' : 'warn', 'ModeTightened', { path: f.path, from: octal(f.from), to: octal(f.to), ...(f.error ? { error: f.error } : {}) },
      `data directory open to other accounts: ${describeFix(f)}`);
  }
  const uid = process.getuid?.();
  if (uid === 0) {
    logEvent(log, 'warn', 'RunningAsRoot', { uid },
      'fumidai serve is running as root: any flaw in it would be root on this host. Run it as a dedicated user that owns only the data directory, ' +
      'with CAP_NET_BIND_SERVICE for port 22: contrib/fumidai.service in the repository does this (README: Running as a dedicated user)');
  }
}
