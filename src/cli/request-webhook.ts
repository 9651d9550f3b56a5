// The request webhook of this process (requests.webhook), for the desks of the SSH commands and of the console; the
// link key (request-links.key in the data directory) is made at the first start.
import { readFileSync } from 'node:fs';
import type { AuditTrail } from '../audit/trail.js';
import type { DataDir } from '../config/data-dir.js';
import { loadLinkKey } from '../auth/request-links.js';
import { RequestWebhook } from '../auth/request-webhook.js';

export const LINK_KEY_FILE = 'request-links.key';

export const linkKeyOf = (dir: DataDir): Buffer => loadLinkKey(dir.path(LINK_KEY_FILE));

/** The notifier a RequestDesk calls with each request filed (it reads requests.webhook at each one). */
export function requestWebhook(dir: DataDir, audit: Pick<AuditTrail, 'record'>): (r: Parameters<RequestWebhook['notify']>[0]) => void {
  const hook = new RequestWebhook({
    config: () => dir.config.requests.webhook,
    consoleUrl: () => dir.config.web.url,
    secret: (file) => readFileSync(dir.path(file), 'utf8').trim(),
    linkKey: linkKeyOf(dir),
    audit,
  });
  return (r) => hook.notify(r);
}
