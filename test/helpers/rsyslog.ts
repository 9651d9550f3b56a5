// A real syslog server for tests: Debian's rsyslogd in the foreground, imtcp on 127.0.0.1 (an ephemeral port kept
// across restarts), optionally TLS (gtls, a self-signed certificate made with openssl), writing every message to a
// file with RSYSLOG_SyslogProtocol23Format, as a SIEM's collector would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, stopChild, waitForPort } from './proc.js';

/** A self-signed certificate for 127.0.0.1 and localhost; returns the cert's path (its own CA) and the key's. */
export async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost']);
  if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert, key };
}

export class Rsyslog {
  readonly dir: string;
  readonly file: string;
  port = 0;
  /** With TLS: the server's certificate, which is its own CA. */
  ca: string | undefined;
  log = '';
  #child: ChildProcess | undefined;
  #tls: boolean;

  constructor(tls = false) {
    this.dir = mkdtempSync(join(tmpdir(), 'fumidai-rsyslog-'));
    this.file = join(this.dir, 'siem.log');
    this.#tls = tls;
  }

  async start(): Promise<void> {
    const global = [`workDirectory="${this.dir}"`, 'maxMessageSize="64k"'];
    let driver = '';
    if (this.#tls) {
      const { cert, key } = this.ca ? { cert: this.ca, key: this.ca.replace(/\.pem$/, '.key') } : await selfSigned(this.dir, 'syslog');
      this.ca = cert;
      global.push(`defaultNetstreamDriverCAFile="${cert}"`, `defaultNetstreamDriverCertFile="${cert}"`, `defaultNetstreamDriverKeyFile="${key}"`);
      driver = ' streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon"';
    }
    const portFile = join(this.dir, 'port');
    rmSync(portFile, { force: true });
    const conf = join(this.dir, 'rsyslog.conf');
    writeFileSync(conf, [
      `global(${global.join(' ')})`,
      `module(load="imtcp"${driver})`,
      `input(type="imtcp" address="127.0.0.1" port="${this.port}" listenPortFileName="${portFile}")`,
      `action(type="omfile" file="${this.file}" template="RSYSLOG_SyslogProtocol23Format")`,
      '',
    ].join('\n'));
    const child = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    if (this.port) return waitForPort(this.port); // a restart: rsyslogd writes the port file only for port 0
    for (const deadline = Date.now() + 10_000; !(existsSync(portFile) && readFileSync(portFile, 'utf8').trim()); await new Promise((r) => setTimeout(r, 50))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`rsyslogd did not start: ${this.log}`);
    }
    this.port = Number(readFileSync(portFile, 'utf8').trim());
  }

  /** The lines of its file so far. */
  lines(): string[] {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** Stops the server; the file and the port stay for a restart. */
  async halt(): Promise<void> {
    if (this.#child) await stopChild(this.#child);
    this.#child = undefined;
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
