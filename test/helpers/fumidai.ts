// A fumidai bastion for integration tests: a temp data directory set up through the real CLI, the server as a child
// process on an ephemeral port, and an ssh_config that reaches it and its targets with the stock OpenSSH client.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keygen, LOGIN, startTarget, type Target } from './sshd.js';
import { run, stopChild, type RunResult } from './proc.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = join(ROOT, 'bin/fumidai.js');
/** The node flags of BIN's first line, so that tests and benchmarks run serve as `fumidai serve` does. */
export const NODE_FLAGS = readFileSync(BIN, 'utf8').split('\n', 1)[0]!.split(/\s+/).filter((w) => w.startsWith('--'));

export class Bastion {
  readonly dir: string;
  readonly data: string;
  port = 0;
  log = '';
  /** The web console's address for `serve --web-listen`; off ('') unless a test sets it (all would want 8443). */
  webListen = '';
  #child: ChildProcess | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'fumidai-test-'));
    this.data = join(this.dir, 'data');
  }

  /** Runs `fumidai ARGS --data DIR`; throws with the CLI's stderr unless `allowFail`. */
  async cli(args: string[], allowFail = false): Promise<RunResult> {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, FUMIDAI_DATA: this.data } });
    if (r.code !== 0 && !allowFail) throw new Error(`fumidai ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r;
  }

  /** `fumidai init` (with `args`, e.g. `--join DIR --node NAME`), then edits of the config file's text. */
  async init(configEdits: Record<string, string> = {}, args: string[] = []): Promise<void> {
    await this.cli(['init', ...args]);
    const file = join(this.data, 'fumidai.yaml');
    let text = readFileSync(file, 'utf8');
    for (const [from, to] of Object.entries(configEdits)) text = text.replace(from, to);
    writeFileSync(file, text);
  }

  /** Creates a key pair for a new user and registers it. */
  async addUser(name: string): Promise<string> {
    const { priv, pub } = await keygen(join(this.dir, `${name}_key`));
    await this.cli(['user', 'add', name, '--key', pub]);
    return priv;
  }

  async upstreamPublicKey(): Promise<string> {
    return (await this.cli(['key', 'show'])).stdout;
  }

  /** Starts a real sshd that trusts fumidai's upstream key and registers it as a target; the caller stops it. */
  async addTarget(name: string, login = LOGIN, extraConfig: string[] = []): Promise<Target> {
    const target = await startTarget({ authorizedKeys: await this.upstreamPublicKey(), login, extraConfig });
    await this.cli(['target', 'add', name, '--host', '127.0.0.1', '--port', String(target.port), '--login', login]);
    return target;
  }

  /** The usual start: one target, one user granted on it, fumidai serving; the target, the user's key and ssh config. */
  async startWith(user: string, targetName: string): Promise<{ target: Target; key: string; cfg: string }> {
    const target = await this.addTarget(targetName);
    const key = await this.addUser(user);
    await this.cli(['grant', user, targetName]);
    await this.start();
    return { target, key, cfg: this.sshConfig(user, key, { [targetName]: LOGIN }) };
  }

  /** Applies a policy document (YAML text) with `fumidai apply -f`. */
  async applyPolicy(yaml: string): Promise<RunResult> {
    const file = join(this.dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    return this.cli(['apply', '-f', file]);
  }

  /**
   * Starts `fumidai serve`; `nodeArgs` go to node itself (benchmarks pass --cpu-prof); `wrapper` runs node under
   * another program (`['prlimit', '--nofile=256:256', '--']` for a lowered file limit).
   */
  async start(nodeArgs: string[] = [], wrapper: string[] = []): Promise<void> {
    const argv = [process.execPath, ...NODE_FLAGS, ...nodeArgs, BIN, 'serve', '--data', this.data, '--listen', '127.0.0.1:0', '--web-listen', this.webListen];
    const [cmd, ...args] = [...wrapper, ...argv];
    const child = spawn(cmd!, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const from = this.log.length; // a restart: only this process's own "listening" line counts
    child.stderr!.on('data', (d) => (this.log += d));
    this.port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`fumidai did not start: ${this.log}`)), 15_000);
      child.stdout!.on('data', (d: Buffer) => {
        this.log += d;
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(this.log.slice(from));
        if (m) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      });
      child.on('exit', (code) => reject(new Error(`fumidai exited (${code}): ${this.log}`)));
    });
  }

  get process(): ChildProcess | undefined {
    return this.#child;
  }

  /** Log lines (JSON) with a given event name. */
  events(name: string): Record<string, unknown>[] {
    return this.log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === name);
  }

  /** Waits until at least `count` events of that name pass the filter (the log arrives a little after the client exits). */
  async waitForEvents(name: string, count: number, filter: (e: Record<string, unknown>) => boolean = () => true, timeoutMs = 5000): Promise<Record<string, unknown>[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events(name).filter(filter);
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.#child) await stopChild(this.#child);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * An ssh_config: `bastion` is fumidai itself; each target name is reached with ProxyJump through it.
   * Returns the file path for `ssh -F`.
   */
  sshConfig(user: string, identity: string, targets: Record<string, string> = {}, extra: string[] = []): string {
    const lines = [
      'Host bastion',
      '  HostName 127.0.0.1',
      `  Port ${this.port}`,
      `  User ${user}`,
      ...Object.entries(targets).flatMap(([name, login]) => [`Host ${name}`, '  ProxyJump bastion', `  User ${login}`]),
      'Host *',
      ...extra.map((l) => `  ${l}`), // first value wins in ssh_config: overrides go before the defaults
      `  IdentityFile ${identity}`,
      '  IdentitiesOnly yes',
      '  StrictHostKeyChecking no',
      '  UserKnownHostsFile /dev/null',
      '  BatchMode yes',
      '  LogLevel ERROR',
      '  ConnectTimeout 20',
      '',
    ];
    const file = join(this.dir, `ssh_config_${user}_${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, lines.join('\n'));
    return file;
  }
}

export function ssh(config: string, args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run('ssh', ['-F', config, ...args], opts);
}
