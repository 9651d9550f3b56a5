// Debian's Chromium driven over a bare DevTools connection, for measuring a page's memory as a user's browser holds
// it. Playwright enables the DevTools network domain on every page it drives, and Chromium then keeps each response
// body in the page's renderer (up to its buffer size: 100 MB or more) for the inspector: a page that streams a
// gigabyte would look as if it kept a large part of it. Here no domain is enabled but what a measurement needs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CHROMIUM } from './web-console.js';

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void };

export class BareChromium {
  private ws!: WebSocket;
  private proc!: ChildProcess;
  private profile = mkdtempSync(join(tmpdir(), 'fumidai-chromium-'));
  private next = 1;
  private pending = new Map<number, Pending>();
  private session = '';

  /** `spki`: the console certificate's pin (--ignore-certificate-errors-spki-list). */
  async launch(spki: string): Promise<void> {
    this.proc = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--remote-debugging-port=0', `--user-data-dir=${this.profile}`, `--ignore-certificate-errors-spki-list=${spki}`, '--window-size=1400,1000', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err.slice(-500)}`)), 20_000);
      this.proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      this.proc.on('exit', (code) => reject(new Error(`chromium exited with ${code}: ${err.slice(-500)}`)));
    });
    this.ws = new WebSocket(url, [], { maxPayload: 256 * 1024 * 1024 });
    await new Promise<void>((r, j) => this.ws.on('open', r).on('error', j));
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!p) return;
      this.pending.delete(msg.id!);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
  }

  /** A DevTools command, to the browser or (page: true) to the open page. */
  send<T = any>(method: string, params: object = {}, page = true): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params, ...(page && this.session ? { sessionId: this.session } : {}) }));
    return new Promise<T>((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  /** Opens a page with these cookies (name, value) for `base`; resolves once it has loaded. */
  async open(base: string, path: string, cookies: { name: string; value: string }[]): Promise<void> {
    await this.send('Storage.setCookies', { cookies: cookies.map((c) => ({ ...c, url: base, secure: true, httpOnly: true, sameSite: 'Strict' })) }, false);
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' }, false);
    this.session = (await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true }, false)).sessionId;
    await this.send('Performance.enable');
    await this.send('Page.navigate', { url: `${base}${path}` });
    await this.waitFor('document.readyState === "complete"');
  }

  /** Evaluates an expression in the page (promises awaited) and returns its value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    return r.result.value;
  }

  async waitFor(expression: string, timeoutMs = 20_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(await this.evaluate<boolean>(`Boolean(${expression})`).catch(() => false))) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${expression}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async metric(name: string): Promise<number> {
    const { metrics } = await this.send<{ metrics: { name: string; value: number }[] }>('Performance.getMetrics');
    return metrics.find((m) => m.name === name)?.value ?? 0;
  }

  async screenshot(): Promise<Buffer> {
    return Buffer.from((await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png' })).data, 'base64');
  }

  async close(): Promise<void> {
    this.ws?.close();
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}
