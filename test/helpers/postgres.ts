// A private PostgreSQL server for tests: its own cluster in a temp directory, on a 127.0.0.1 ephemeral port, run as an
// unprivileged account (PostgreSQL refuses root), trust authentication, fsync off. Stopped (and removed) by the caller.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, run, stopChild, waitForPort } from './proc.js';

const ACCOUNT = 'fumidaipg';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql: apt-get install postgresql');
  return join(root, versions[0]!, 'bin');
}

function account(): { uid: number; gid: number } {
  try {
    execFileSync('id', ['-u', ACCOUNT], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ACCOUNT]);
  }
  return { uid: Number(execFileSync('id', ['-u', ACCOUNT]).toString()), gid: Number(execFileSync('id', ['-g', ACCOUNT]).toString()) };
}

export interface Postgres {
  /** postgres://fumidai@127.0.0.1:PORT/DATABASE of a fresh database. */
  newDatabase(name: string): Promise<string>;
  /** Stops the server and keeps its data: an outage. */
  halt(): Promise<void>;
  /** Starts it again on the same port after halt(). */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const who = account();
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-pg-'));
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  for (const p of [dir, data]) chownSync(p, who.uid, who.gid);
  const init = await run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'fumidai', '-E', 'UTF8', '--no-sync'], { ...who, cwd: dir });
  if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const launch = async (): Promise<ChildProcess> => {
    const child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'], { ...who, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d) => (log += d));
    try {
      await waitForPort(port, 20_000);
    } catch {
      child.kill('SIGKILL');
      throw new Error(`postgres did not start: ${log}`);
    }
    await ready(`postgres://fumidai@127.0.0.1:${port}/postgres`, child, () => log);
    return child;
  };
  let child = await launch();
  const base = `postgres://fumidai@127.0.0.1:${port}`;
  return {
    async newDatabase(name: string) {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return `${base}/${name}`;
    },
    async halt() {
      await stopChild(child, 'SIGINT'); // fast shutdown: clients' connections are cut
    },
    async resume() {
      child = await launch();
    },
    async stop() {
      await stopChild(child, 'SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The port opens before the server takes queries ("the database system is starting up", 57P03): waits for one. */
async function ready(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (const deadline = Date.now() + 20_000; ; ) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`postgres did not take queries: ${(err as Error).message}: ${log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}
