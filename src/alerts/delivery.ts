// Delivery of spooled alerts: each round seals the alerts that are due (opening one delivery per sink), claims the due
// deliveries for a lease, sends them, and records each outcome. A failure is tried again after 2 s, doubling up to
// alerts.maxBackoff, until alerts.giveUpAfter has passed since the alert was sealed. Every delivery and every final
// failure is an audit event. With several nodes, the store's claim gives each delivery to one of them.
import type { Logger } from 'pino';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { AlertSpool, ClaimedDelivery, DeliveryOutcome } from '../store/store.js';
import { alertMessage } from './message.js';
import type { Send } from './sinks.js';

export interface DeliveryDeps {
  store: AlertSpool;
  config: () => AlertsConfig;
  node: string;
  /** The sender of a configured sink by name; undefined when no sink has that name (any more). */
  senderOf: (sink: string) => Send | undefined;
  consoleUrl: () => string | undefined;
  /** Writes AlertDelivered / AlertDeliveryFailure; its failure does not change the delivery's outcome. */
  record: (name: 'AlertDelivered' | 'AlertDeliveryFailure', d: ClaimedDelivery, attempts: number, error?: string) => Promise<void>;
  log: Logger;
  now?: () => number;
  /** After each round: whether the store answered it (false: why not). */
  roundDone?: (err?: Error) => void;
}

/** Deliveries claimed per round (sent in parallel). */
const CLAIM = 20;

/** The wait before try number `attempts + 1`: 2 s, doubling, at most `maxMs`. */
export const backoffMs = (attempts: number, maxMs: number) => Math.min(2000 * 2 ** Math.min(attempts, 20), maxMs);

export class AlertDelivery {
  #deps: DeliveryDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(deps: DeliveryDeps) {
    this.#deps = deps;
  }

  /** Rounds every `intervalMs`, and at once after a nudge. */
  start(intervalMs = 1000): void {
    this.#timer = setInterval(() => this.nudge(), intervalMs);
    this.#timer.unref();
    this.nudge();
  }

  nudge(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.round()
      .then((tried) => {
        if (tried === CLAIM) this.#again = true; // a backlog (after an outage): the next batch at once, not in a second
        this.#deps.roundDone?.();
      })
      .catch((err: Error) => {
        this.#deps.log.warn({ err: err.message }, 'alert delivery round failed (the store?); tried again');
        this.#deps.roundDone?.(err);
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again) (this.#again = false), this.nudge();
      });
  }

  /** Waits for the running round, and stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One round; resolves with the number of deliveries tried. */
  async round(): Promise<number> {
    const now = () => (this.#deps.now ?? Date.now)();
    const cfg = this.#deps.config();
    await this.#deps.store.sealAlerts(now());
    const claimed = await this.#deps.store.claimDeliveries(this.#deps.node, now(), cfg.lease * 1000, CLAIM);
    await Promise.all(claimed.map((d) => this.#deliver(d, cfg, now)));
    return claimed.length;
  }

  async #deliver(d: ClaimedDelivery, cfg: AlertsConfig, now: () => number): Promise<void> {
    const send = this.#deps.senderOf(d.sink);
    let outcome: DeliveryOutcome;
    if (!send) outcome = { state: 'failed', error: `no sink named ${d.sink} in alerts.sinks` };
    else {
      try {
        await send(alertMessage(d.alert, this.#deps.node, this.#deps.consoleUrl()));
        outcome = { state: 'delivered', at: now() };
      } catch (err) {
        const error = (err as Error).message.slice(0, 500);
        const sealed = d.alert.sealedAt ?? d.alert.firstAt;
        outcome = now() - sealed >= cfg.giveUpAfter * 1000 ? { state: 'failed', error } : { state: 'pending', nextAt: now() + backoffMs(d.attempts, cfg.maxBackoff * 1000), error };
      }
    }
    if (!(await this.#deps.store.finishDelivery(d.alert.id, d.sink, this.#deps.node, outcome))) return; // another node took it over
    if (outcome.state === 'pending') {
      this.#deps.log.warn({ alert: d.alert.id, sink: d.sink, attempts: d.attempts + 1, err: outcome.error }, 'alert not delivered; tried again later');
      return;
    }
    const name = outcome.state === 'delivered' ? 'AlertDelivered' : 'AlertDeliveryFailure';
    await this.#deps.record(name, d, d.attempts + 1, outcome.state === 'failed' ? outcome.error : undefined).catch(() => undefined); // the trail's own failure is logged there
  }
}
