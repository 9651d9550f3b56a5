// The alert engine: every audit event as it is written, and every control failure, goes through the rules in order
// (counts need it); each hit is spooled in the store before any sink is tried. Feeding never blocks and never throws:
// the audit write that feeds it must not wait for, or fail because of, alerting. While the store does not answer, hits
// wait in memory (bounded) and are spooled when it is back; that outage is itself an alert (StoreUnavailable).
import type { Logger } from 'pino';
import type { AlertsConfig } from '../config/alerts-schema.js';
import type { AlertSpool } from '../store/store.js';
import { effectiveRules, evaluate, RuleState, type AlertInput, type Facts, type Hit } from './rules.js';

export interface EngineDeps {
  store: AlertSpool;
  config: () => AlertsConfig;
  /** A target's labels in the policy (for labelled-target rules). */
  labelsOf: (target: string) => Promise<Record<string, string>>;
  log: Logger;
  /** Called after hits were spooled (the delivery loop looks at once). */
  spooled?: () => void;
  now?: () => number;
}

/** Hits kept in memory while the store is out; past this, the oldest go (and the log says how many). */
const MAX_WAITING = 10_000;

export class AlertEngine {
  #deps: EngineDeps;
  #state = new RuleState();
  #chain: Promise<void> = Promise.resolve();
  #waiting: Hit[] = [];
  #storeDown = false;
  #retry: NodeJS.Timeout | undefined;
  #rulesKey = '';
  #rules: ReturnType<typeof effectiveRules> = [];

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  /** Takes one input; returns at once. */
  feed(input: AlertInput): void {
    this.#chain = this.#chain.then(() => this.#handle(input)).catch((err: Error) => this.#deps.log.error({ err: err.message }, 'alert rules failed on an event'));
  }

  /** Resolves once everything fed so far has been evaluated and spooled (or is waiting for the store). */
  idle(): Promise<void> {
    return this.#chain;
  }

  stop(): void {
    clearTimeout(this.#retry);
  }

  #currentRules() {
    const cfg = this.#deps.config();
    const key = JSON.stringify(cfg.rules);
    if (key !== this.#rulesKey) [this.#rulesKey, this.#rules] = [key, effectiveRules(cfg.rules)];
    return this.#rules;
  }

  async #facts(input: AlertInput, now: number): Promise<Facts> {
    const facts: Facts = {};
    try {
      if (input.name === 'AuthSuccess' && input.user && input.sourceIp) facts.lastFromAddress = await this.#deps.store.touchAddress(input.user, input.sourceIp, now);
      if (input.name === 'TargetConnect' && input.target) facts.labels = await this.#deps.labelsOf(input.target);
    } catch (err) {
      this.#outage(err as Error);
    }
    return facts;
  }

  async #handle(input: AlertInput): Promise<void> {
    const now = (this.#deps.now ?? Date.now)();
    this.#state.prune(now);
    const hits = evaluate(this.#currentRules(), input, await this.#facts(input, now), this.#state, now);
    if (hits.length) {
      this.#waiting.push(...hits);
      const over = this.#waiting.length - MAX_WAITING;
      if (over > 0) this.#deps.log.error({ dropped: this.#waiting.splice(0, over).length }, 'alerts dropped: the store has been out too long');
    }
    await this.#flush();
  }

  /** Spools what waits; on a store error keeps it and tries again in 5 s. */
  async #flush(): Promise<void> {
    const cfg = this.#deps.config();
    const rules = this.#currentRules();
    while (this.#waiting.length) {
      const h = this.#waiting[0]!;
      const rule = rules.find((r) => r.name === h.rule);
      const sinks = rule?.sinks ?? cfg.sinks.map((s) => s.name);
      try {
        await this.#deps.store.raiseAlert({ rule: h.rule, key: h.key, severity: h.severity, summary: h.summary.slice(0, 1000), event: JSON.stringify(h.input), sinks }, (this.#deps.now ?? Date.now)(), (rule?.rateLimit ?? 60) * 1000);
      } catch (err) {
        this.#outage(err as Error);
        return;
      }
      this.#waiting.shift();
      if (this.#storeDown) {
        this.#storeDown = false;
        this.#deps.log.info('the store answers again: waiting alerts spooled');
      }
    }
    this.#deps.spooled?.();
  }

  #outage(err: Error): void {
    if (!this.#storeDown) {
      this.#storeDown = true;
      this.#deps.log.error({ err: err.message }, 'alerts cannot be spooled: the store does not answer; they wait in memory');
      this.feed({ name: 'StoreUnavailable', time: new Date().toISOString(), result: 'failure', reason: err.message });
    }
    this.#retry ??= setTimeout(() => {
      this.#retry = undefined;
      this.#chain = this.#chain.then(() => this.#flush());
    }, 5000).unref();
  }
}
