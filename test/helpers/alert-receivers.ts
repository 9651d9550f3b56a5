// Receivers of alerts for tests, on 127.0.0.1: an HTTP server that checks the webhook's HMAC signature (and can go
// down and come back on its port), a syslog listener reading RFC 6587 octet-counted RFC 5424 messages, and an SMTP
// server (smtp-server) that keeps each mail.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer as httpServer, type Server } from 'node:http';
import { createServer as tcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as tlsServer } from 'node:tls';
import { SMTPServer } from 'smtp-server';
import { parseMessage, type SyslogMessage } from '../../src/shipping/syslog-message.js';

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The X-Fumidai-Signature header matched the body under the secret. */
  signed: boolean;
}

const listen = (s: Server | TcpServer, port = 0) => new Promise<number>((resolve, reject) => {
  s.once('error', reject);
  s.listen(port, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
});

/** The receiver's side of the signature check: recompute over the raw body, compare in constant time. */
export function signatureOk(secret: string, body: string, header: string | undefined): boolean {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const got = Buffer.from(header ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

export class HttpReceiver {
  readonly got: Received[] = [];
  port = 0;
  #server: Server | undefined;
  #secret: string;

  constructor(secret: string) {
    this.#secret = secret;
  }

  async start(): Promise<void> {
    this.#server = httpServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const sig = req.headers['x-fumidai-signature'];
        this.got.push({ path: req.url ?? '', headers: req.headers, body, signed: signatureOk(this.#secret, body, typeof sig === 'string' ? sig : undefined) });
        res.end('ok');
      });
    });
    this.port = await listen(this.#server, this.port);
  }

  /** Down: nothing listens on the port (connections refused). */
  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  async until(what: (got: Received[]) => boolean, timeoutMs = 15_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (!what(this.got)) {
      if (Date.now() > deadline) throw new Error(`timed out; received: ${JSON.stringify(this.got.map((g) => g.body.slice(0, 200)))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.got;
  }
}

export class SyslogListener {
  readonly got: SyslogMessage[] = [];
  port = 0;
  #server: TcpServer;

  /** With `tls` (PEM files), a TLS listener. */
  constructor(tls?: { cert: string; key: string }) {
    const onSocket = (socket: Socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const sp = buf.indexOf(0x20);
          if (sp <= 0) break;
          const len = Number(buf.subarray(0, sp).toString());
          if (!Number.isInteger(len) || len <= 0 || len > 65536) return socket.destroy(); // not octet counting
          if (buf.length < sp + 1 + len) break;
          const m = parseMessage(buf.subarray(sp + 1, sp + 1 + len).toString());
          if (m) this.got.push(m);
          buf = buf.subarray(sp + 1 + len);
        }
      });
      socket.on('error', () => undefined);
    };
    this.#server = tls ? tlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, onSocket) : tcpServer(onSocket);
  }

  async start(): Promise<void> {
    this.port = await listen(this.#server);
  }

  stop(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
}

export class SmtpReceiver {
  readonly mails: { from: string; to: string[]; data: string }[] = [];
  port = 0;
  #server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, session, done) => {
      let data = '';
      stream.on('data', (d: Buffer) => (data += d.toString()));
      stream.on('end', () => {
        this.mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data });
        done();
      });
    },
  });

  async start(): Promise<void> {
    this.port = await listen(this.#server.server as unknown as TcpServer);
  }

  stop(): Promise<void> {
    return new Promise((r) => this.#server.close(() => r()));
  }
}

/** The `alerts:` section for these receivers (YAML), with test-sized backoff. */
export function alertsYaml(o: { http?: number; syslog?: number; syslogTls?: { port: number; ca: string }; smtp?: number; extra?: string }): string {
  return [
    'alerts:',
    '  maxBackoff: 4',
    '  sinks:',
    ...(o.http ? ['    - { name: hook, type: webhook, url: "http://127.0.0.1:' + o.http + '/hook", secretFile: alert-hook.secret }', '    - { name: slack, type: slack, urlFile: alert-slack.url }'] : []),
    ...(o.syslog ? [`    - { name: siem, type: syslog, host: 127.0.0.1, port: ${o.syslog} }`] : []),
    ...(o.syslogTls ? [`    - { name: siem-tls, type: syslog, host: 127.0.0.1, port: ${o.syslogTls.port}, tls: { ca: "${o.syslogTls.ca}" } }`] : []),
    ...(o.smtp ? [`    - { name: mail, type: email, host: 127.0.0.1, port: ${o.smtp}, from: fumidai@example.com, to: [soc@example.com] }`] : []),
    o.extra ?? '',
    '',
  ].join('\n');
}
