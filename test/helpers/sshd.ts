// A private OpenSSH server as a target, on a 127.0.0.1 ephemeral port (sshd -D -e with its own host key and config).
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, run, stopChild, waitForPort } from './proc.js';

export const SSHD = '/usr/sbin/sshd';
export const LOGIN = 'fumidaitest';

export function ensureLoginAccount(login = LOGIN): void {
  try {
    execFileSync('id', [login], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['-m', '-s', '/bin/bash', login]);
  }
  execFileSync('usermod', ['-p', '*', login]); // '!' would lock key logins too with UsePAM no
  mkdirSync('/run/sshd', { recursive: true });
}

export async function keygen(path: string, type = 'ed25519'): Promise<{ priv: string; pub: string }> {
  const r = await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', path.split('/').pop()!, '-f', path]);
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return { priv: path, pub: `${path}.pub` };
}

export interface Target {
  port: number;
  dir: string;
  configFile: string;
  authorizedKeys: string;
  stop(): Promise<void>;
  /** Kills the listener and every per-connection sshd of this target, as a crashed host would. */
  kill(): Promise<void>;
  /** Gives the target a new host key (as a reinstalled or impersonated host would have) and reloads sshd. */
  newHostKey(): Promise<void>;
  /** What sshd wrote to its stderr so far (its log, at the config's LogLevel). */
  log(): string;
}

/** `sshd`: another OpenSSH server binary than the system's (e.g. a newer one; its own config lines go in extraConfig). */
/** `port`: a fixed port instead of an ephemeral one; `authorizedKeysFile`: a file kept by the test, read as it changes. */
/** `logLevel`: sshd's LogLevel (ERROR by default; VERBOSE logs each accepted key or certificate, read with log()). */
export async function startTarget(opts: { authorizedKeys: string; login?: string; hostKey?: string; extraConfig?: string[]; sshd?: string; port?: number; authorizedKeysFile?: string; logLevel?: string }): Promise<Target> {
  if (!opts.authorizedKeysFile) ensureLoginAccount(opts.login ?? LOGIN);
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-target-'));
  chmodSync(dir, 0o755);
  const port = opts.port ?? (await freePort());
  const hostKey = opts.hostKey ?? (await keygen(join(dir, 'host_key'))).priv;
  const authorizedKeys = opts.authorizedKeysFile ?? join(dir, 'authorized_keys');
  if (!opts.authorizedKeysFile) writeFileSync(authorizedKeys, opts.authorizedKeys, { mode: 0o644 });
  const configFile = join(dir, 'sshd_config');
  writeFileSync(
    configFile,
    [
      `ListenAddress 127.0.0.1:${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `AllowUsers ${opts.login ?? LOGIN}`,
      'AcceptEnv LANG LC_* FUMIDAI_*',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      `LogLevel ${opts.logLevel ?? 'ERROR'}`,
      'MaxStartups 200', // tests open many sessions at once; the default drops some
      ...(opts.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(opts.sshd ?? SSHD, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  try {
    await waitForPort(port);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`target sshd did not start: ${log}`);
  }
  // sshd retitles its per-connection processes, so find them as descendants of the listener, not by name.
  // The whole tree is frozen before it is killed, as a host that dies would be: killing the shell before its sshd
  // would let that sshd report an exit-signal instead of the connection simply dropping.
  const killAll = async () => {
    if (child.pid === undefined) return;
    const signalAll = (pids: number[], signal: NodeJS.Signals) => {
      for (const pid of pids) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
      }
    };
    signalAll([child.pid], 'SIGSTOP'); // no new connections while the tree is walked
    let tree = [child.pid, ...(await descendants(child.pid))];
    signalAll(tree, 'SIGSTOP');
    tree = [...new Set([...tree, ...(await descendants(child.pid))])]; // anything forked while we walked
    signalAll(tree, 'SIGSTOP');
    signalAll(tree, 'SIGKILL');
  };
  return {
    port,
    dir,
    configFile,
    authorizedKeys,
    async stop() {
      await killAll();
      await stopChild(child);
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await killAll();
    },
    log: () => log,
    async newHostKey() {
      rmSync(hostKey, { force: true });
      rmSync(`${hostKey}.pub`, { force: true });
      await keygen(hostKey);
      child.kill('SIGHUP'); // sshd re-executes itself and reads the new key
      await new Promise((r) => setTimeout(r, 300));
      await waitForPort(port);
    },
  };
}

async function descendants(pid: number): Promise<number[]> {
  const r = await run('pgrep', ['-P', String(pid)]);
  const children = r.stdout.split('\n').filter(Boolean).map(Number);
  const all: number[] = [];
  for (const c of children) all.push(...(await descendants(c)), c);
  return all;
}
