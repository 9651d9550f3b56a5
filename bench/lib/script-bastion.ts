// The classic recording bastion, for comparison: an OpenSSH server whose ForceCommand wraps a second ssh (bastion to
// target) in `script`, writing the session and its timing to files, as the "OpenSSH + script + cron" recipe does.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOGIN, startTarget, type Target } from '../../test/helpers/sshd.js';

export interface ScriptBastion extends Target {
  logDir: string;
  /** Kills the sessions a client left behind (see below). */
  killOrphans(): void;
}

export async function startScriptBastion(dir: string, clientPub: string, clientKey: string, targetPort: number): Promise<ScriptBastion> {
  const home = join(dir, 'script-bastion');
  const logDir = join(home, 'logs');
  mkdirSync(logDir, { recursive: true });
  chmodSync(dir, 0o755); // the login account must reach its files
  // The bastion account's own key to the target, and its ssh config.
  copyFileSync(clientKey, join(home, 'key'));
  chmodSync(join(home, 'key'), 0o600);
  writeFileSync(join(home, 'ssh_config'), [
    'Host target', '  HostName 127.0.0.1', `  Port ${targetPort}`, `  User ${LOGIN}`, `  IdentityFile ${join(home, 'key')}`,
    '  IdentitiesOnly yes', '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  BatchMode yes', '  LogLevel ERROR', '',
  ].join('\n'));
  const wrapper = join(home, 'record.sh');
  writeFileSync(wrapper, `#!/bin/sh
# ForceCommand of the classic bastion: every session runs inside script(1), recorded with its timing.
# Named by time and process id: a process id alone comes back after a few thousand sessions (and the file with it).
id=$(date +%s%N)-$$
exec script -q -f -e --log-timing "${logDir}/$id.timing" --log-out "${logDir}/$id.log" \\
  -c 'ssh -tt -F ${join(home, 'ssh_config')} target "$SSH_ORIGINAL_COMMAND"'
`);
  chmodSync(wrapper, 0o755);
  execFileSync('chown', ['-R', LOGIN, home]);
  const t = await startTarget({ authorizedKeys: clientPub, extraConfig: [`ForceCommand ${wrapper}`] });
  // When a client goes away, this bastion's sshd ends its session, but `script` (a session leader of its own) and
  // the second ssh under it live on, and so does the target's session: seen after the concurrency runs as 1,365
  // orphaned `script` processes holding 2,730 pseudo-terminals until the machine had none left. The benchmark
  // removes them after each run; on a real bastion they would keep the target sessions of departed users open.
  const killOrphans = () => {
    try {
      execFileSync('pkill', ['-KILL', '-f', `${logDir}/`]);
    } catch {
      // none left (pkill exits 1 when nothing matched)
    }
  };
  const stop = async () => {
    killOrphans();
    await t.stop();
  };
  return { ...t, logDir, killOrphans, stop };
}
