// The web console as tests reach it: HTTPS with its own certificate pinned, Chromium trusting that one key (SPKI), a
// login with password and TOTP, and the audit trail's lines.
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Bastion } from './fumidai.js';
import { run } from './proc.js';

export const CHROMIUM = '/usr/bin/chromium';
export type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

export const totp = async (secret: string): Promise<string> => (await run('oathtool', ['--totp', '-b', secret])).stdout.trim();
/** Waits for a fresh TOTP step when fewer than `need` seconds are left in this one (a code used once is refused). */
export const freshStep = async (need = 10): Promise<void> => {
  const left = 30 - ((Date.now() / 1000) % 30);
  if (left < need) await new Promise((r) => setTimeout(r, left * 1000 + 200));
};

/** The console's base URL, from serve's log line. */
export async function consoleBase(bastion: Bastion): Promise<string> {
  const re = /web console on https:\/\/127\.0\.0\.1:(\d+)/;
  const m = re.exec(bastion.log) ?? (await new Promise((r) => setTimeout(r, 1000)), re.exec(bastion.log));
  if (!m) throw new Error(`no web console line in: ${bastion.log}`);
  return `https://127.0.0.1:${m[1]}`;
}

/** HTTPS to the console, trusting its own certificate only (pinned, not "ignore errors"). */
export const fetchPinned = (base: string, ca: Buffer, path: string, opts: { method?: string; cookie?: string; form?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> =>
  new Promise<Answer>((resolve, reject) => {
    const body = opts.form ? new URLSearchParams(opts.form).toString() : opts.body;
    const req = request(`${base}${path}`, {
      method: opts.method ?? 'GET',
      ca,
      headers: { ...opts.headers, ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });

/** Chromium trusting the console's self-signed key by its SPKI hash, and no other bad certificate. */
export async function launchPinned(ca: Buffer): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const spki = createHash('sha256').update(new X509Certificate(ca).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', `--ignore-certificate-errors-spki-list=${spki}`] });
}

/** Logs a page in with password and TOTP; it ends on /sessions. */
export async function browserLogin(page: Page, base: string, name: string, password: string, secret: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await freshStep();
  await page.click('button');
  await page.waitForSelector('#code');
  await page.fill('#code', await totp(secret));
  await page.click('main button');
  await page.waitForURL(`${base}/sessions`);
}

/** Every line of the data directory's audit trail. */
export function readTrail(data: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(join(data, 'audit'));
  return out.join('');
}
