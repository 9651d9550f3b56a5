// The sinks: each sends one alert message and resolves once the receiver took it (an HTTP 2xx, the bytes written to
// the syslog connection, the SMTP server's 250), or rejects with a sentence for the spool's last error. Secrets (the
// webhook's HMAC key, Slack's URL, the SMTP password) are read from 0600 files at each send and never logged.
import { createHmac } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { AlertSinkConfig } from '../config/alerts-schema.js';
import { SD_ID, formatMessage, frame } from '../shipping/syslog-message.js';
import { openLink, writeTo } from '../shipping/syslog-link.js';
import { headline, textOf, type AlertMessage } from './message.js';

export type Send = (m: AlertMessage) => Promise<void>;

/** A secret's file: refused if others may read it (the secret is then as good as known). */
export function readSecretFile(path: string): string {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new Error(`${path} is readable by other accounts (mode ${mode.toString(8)}): chmod 600 it`);
  return readFileSync(path, 'utf8').trim();
}

/** The webhook's signature header value: HMAC-SHA256 of the exact body bytes, hex. */
export const signature = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function post(url: string, body: string, headers: Record<string, string>): Promise<void> {
  const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(10_000), redirect: 'error' });
  await r.body?.cancel();
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
}

/** Slack reads `<...>` as links and mentions (`<!channel>`): a typed command must not page a whole channel. */
export const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A header line (the mail's subject): no control characters, whatever a command line held. */
const oneLine = (text: string) => text.replace(/[\x00-\x1f\x7f]+/g, ' ');

/** Syslog severities: critical 2 (crit), warning 4, info 6. */
const SYSLOG_SEVERITY: Record<string, number> = { critical: 2, warning: 4, info: 6 };

export function sinkSender(sink: AlertSinkConfig, dataPath: (p: string) => string): Send {
  switch (sink.type) {
    case 'webhook':
      return async (m) => {
        const body = JSON.stringify(m);
        await post(sink.url, body, { 'x-fumidai-signature': signature(readSecretFile(dataPath(sink.secretFile)), body), 'x-fumidai-alert': String(m.id) });
      };
    case 'slack':
      return async (m) => {
        const url = readSecretFile(dataPath(sink.urlFile));
        await post(url, JSON.stringify({ text: slackEscape(textOf(m)) }), {}).catch((err: Error) => Promise.reject(new Error(`the Slack webhook: ${err.message}`))); // never the URL
      };
    case 'syslog':
      return async (m) => {
        const tls = sink.tls === false ? false : sink.tls === true ? {} : { ...(sink.tls.ca ? { ca: readFileSync(dataPath(sink.tls.ca)) } : {}), ...(sink.tls.servername ? { servername: sink.tls.servername } : {}) };
        const socket = await openLink({ host: sink.host, port: sink.port, tls });
        try {
          const sd: Record<string, string> = { alert: String(m.id), rule: m.rule, severity: m.severity, count: String(m.count), ...(m.auditKey ? { auditKey: m.auditKey } : {}) };
          const text = formatMessage({
            facility: 13, severity: SYSLOG_SEVERITY[m.severity] ?? 4, timestamp: m.lastAt, hostname: m.node.replace(/[^\x21-\x7e]/g, '_').slice(0, 255),
            appName: 'fumidai', procId: String(process.pid), msgId: 'alert', sd: [[SD_ID, sd]], msg: `${headline(m)}${m.link ? ` ${m.link}` : ''}`,
          });
          await writeTo(socket, frame(text));
          await new Promise<void>((resolve) => socket.end(resolve));
        } finally {
          socket.destroy();
        }
      };
    case 'email':
      return async (m) => {
        const auth = sink.user ? { auth: { user: sink.user, pass: sink.passwordFile ? readSecretFile(dataPath(sink.passwordFile)) : '' } } : {};
        const transport = nodemailer.createTransport({ host: sink.host, port: sink.port, secure: sink.secure, ...auth, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
        try {
          await transport.sendMail({ from: sink.from, to: sink.to, subject: oneLine(headline(m)).slice(0, 200), text: textOf(m), headers: { 'X-Fumidai-Alert': String(m.id) } });
        } finally {
          transport.close();
        }
      };
  }
}
