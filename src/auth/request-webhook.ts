// The request webhook (requests.webhook): when a request is filed, a JSON POST to the configured URL, signed with
// `X-Fumidai-Signature: sha256=HMAC(secret, body)`, carrying the request and signed approve/deny links to the console
// (request-links.ts). Tried again with a doubling delay on failure (a network error or a non-2xx answer); the outcome
// is an audit event. The URL may hold a token (chat webhooks do): only its origin is ever logged.
import { createHmac } from 'node:crypto';
import type { AuditTrail } from '../audit/trail.js';
import { signedPath } from './request-links.js';

export interface WebhookConfig {
  url: string;
  secretFile: string;
  retries: number;
}

/** What is sent about a request just filed. */
export interface FiledRequest {
  id: number;
  user: string;
  target: string;
  login: string;
  forSec: number;
  reason: string;
  pendingUntil: string;
}

export interface WebhookDeps {
  /** Read at each request: a config reload applies at once. */
  config: () => WebhookConfig | undefined;
  consoleUrl: () => string | undefined;
  /** The shared secret of a secretFile (read at each send: a rotated file applies at once). */
  secret: (file: string) => string;
  linkKey: Buffer;
  audit: Pick<AuditTrail, 'record'>;
  /** The wait before try n+1 (n from 1). */
  delayMs?: (attempt: number) => number;
}

export const signature = (secret: string, body: string): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

export class RequestWebhook {
  #d: WebhookDeps;
  #running = new Set<Promise<void>>();

  constructor(deps: WebhookDeps) {
    this.#d = deps;
  }

  /** Sends in the background (the requester is not kept waiting for the receiver). */
  notify(r: FiledRequest): void {
    const p = this.send(r).catch(() => undefined);
    this.#running.add(p);
    void p.finally(() => this.#running.delete(p));
  }

  /** Until the sends under way are done (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.#running]);
  }

  async send(r: FiledRequest): Promise<void> {
    const cfg = this.#d.config();
    const base = this.#d.consoleUrl();
    if (!cfg || !base) return;
    const exp = Math.floor(Date.parse(r.pendingUntil) / 1000);
    const link = (action: 'approve' | 'deny') => `${base}${signedPath(this.#d.linkKey, r.id, action, exp)}`;
    const body = JSON.stringify({
      requestId: r.id,
      requester: r.user,
      target: r.target,
      login: r.login,
      forSec: r.forSec,
      reason: r.reason,
      pendingUntil: r.pendingUntil,
      approveUrl: link('approve'),
      denyUrl: link('deny'),
      requestsUrl: `${base}/requests`,
    });
    const origin = new URL(cfg.url).origin;
    const ctx = { user: r.user };
    let error = '';
    const attempts = cfg.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(cfg.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-fumidai-signature': signature(this.#d.secret(cfg.secretFile), body), 'user-agent': 'fumidai' },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        await res.body?.cancel();
        if (res.ok) return this.#d.audit.record('RequestWebhookSent', ctx, { requestId: r.id, url: origin, attempts: attempt, status: res.status });
        error = `HTTP ${res.status}`;
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        error = e.cause?.code ?? e.name ?? String(err);
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, (this.#d.delayMs ?? ((n) => 1000 * 2 ** (n - 1)))(attempt)));
    }
    await this.#d.audit.record('RequestWebhookFailed', ctx, { requestId: r.id, url: origin, attempts, error });
  }
}
