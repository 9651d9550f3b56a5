// What an operator's monitoring scrapes from one node, in Prometheus' text format (prom-client): the shipping backlog
// and upload errors (an outage shows before disks fill), key sync errors, audit trail write failures (fail closed: each
// refused something), live sessions, and the process itself.
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { splitHostPort } from '../config/host-port.js';

export interface MetricSources {
  backlog(): Promise<{ files: number; bytes: number }>;
  /** Signed checkpoints not yet in the bucket. */
  unanchored?(): Promise<number>;
  liveSessions(): number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly uploads: Counter;
  readonly uploadErrors: Counter;
  readonly lastUpload: Gauge;
  readonly keySyncErrors: Counter;
  readonly auditWriteFailures: Counter;
  #server: Server | undefined;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'fumidai_' });
    this.uploads = new Counter({ name: 'fumidai_shipping_uploads_total', help: 'Files uploaded to the bucket and confirmed.', registers });
    this.uploadErrors = new Counter({ name: 'fumidai_shipping_upload_errors_total', help: 'Uploads that failed (the file stays in the spool and is retried).', registers });
    this.lastUpload = new Gauge({ name: 'fumidai_shipping_last_upload_timestamp_seconds', help: 'When the last upload was confirmed (Unix time).', registers });
    this.keySyncErrors = new Counter({ name: 'fumidai_keysync_errors_total', help: 'Key bucket rounds that failed (users stay as they were).', registers });
    this.auditWriteFailures = new Counter({
      name: 'fumidai_audit_write_failures_total',
      help: 'Audit events that could not be written to the trail (disk full, permissions); what they gate was refused.',
      registers,
    });
    const backlog = (name: string, help: string, pick: (b: { files: number; bytes: number }) => number) =>
      new Gauge({
        name, help, registers,
        async collect() {
          this.set(pick(await sources.backlog()));
        },
      });
    backlog('fumidai_shipping_backlog_files', 'Files waiting in the spool for their upload.', (b) => b.files);
    backlog('fumidai_shipping_backlog_bytes', 'Bytes waiting in the spool for their upload.', (b) => b.bytes);
    new Gauge({
      name: 'fumidai_audit_unanchored_checkpoints', help: 'Signed audit checkpoints waiting to reach the bucket (events after the newest anchored one could still be cut unseen).', registers,
      async collect() {
        this.set((await sources.unanchored?.()) ?? 0);
      },
    });
    new Gauge({
      name: 'fumidai_sessions_live', help: 'Sessions this node is relaying now.', registers,
      collect() {
        this.set(sources.liveSessions());
      },
    });
  }

  /** One shipping round's outcome. */
  shippingRound(r: { shipped: number; failed: unknown[] }): void {
    this.uploads.inc(r.shipped);
    this.uploadErrors.inc(r.failed.length);
    if (r.shipped) this.lastUpload.set(Date.now() / 1000);
  }

  /** Serves GET /metrics; resolves with the address it listens on. */
  listen(hostPort: string): Promise<string> {
    const { host, port } = splitHostPort(hostPort);
    this.#server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') return res.writeHead(404).end('not found\n');
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`${err.message}\n`),
      );
    });
    return new Promise((resolve, reject) => {
      this.#server!.once('error', reject).listen(port, host, () => {
        const a = this.#server!.address() as { address: string; port: number };
        resolve(`${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`);
      });
    });
  }

  close(): void {
    this.#server?.close();
  }
}
