// The server's alerting: the engine fed by every audit event and every failed audit write, the delivery loop, and
// the control failures serve itself sees (a shipping backlog over alerts.shippingBacklog).
import type { Logger } from 'pino';
import { AlertDelivery } from '../alerts/delivery.js';
import { AlertEngine } from '../alerts/engine.js';
import { consoleUrlOf, controlInput, deliveryFields, inputOf, sendersOf } from '../alerts/wiring.js';
import { nodeName } from '../audit/open.js';
import type { AuditTrail } from '../audit/trail.js';
import type { DataDir } from '../config/data-dir.js';
import { PolicySource } from '../policy/source.js';
import type { Store } from '../store/store.js';

export interface Alerting {
  /** A control failure: a name of CONTROL_FAILURES, why, and what to say with it. */
  control(name: string, reason: string, details?: Record<string, unknown>): void;
  stop(): Promise<void>;
}

export function startAlerting(dir: DataDir, store: Store, audit: AuditTrail, log: Logger): Alerting {
  const config = () => dir.config.alerts; // read at each use: a reload applies at once
  const policy = new PolicySource(store);
  let storeOut = false;
  // The delivery loop asks the store every second: its failing is how a store outage is seen even when nothing else
  // happens; one StoreUnavailable per outage.
  const roundDone = (err?: Error) => {
    if (err && !storeOut) engine.feed(controlInput('StoreUnavailable', err.message));
    storeOut = Boolean(err);
  };
  const delivery = new AlertDelivery({
    store, config, node: nodeName(dir), log,
    senderOf: sendersOf(config, (p) => dir.path(p)),
    consoleUrl: () => consoleUrlOf(config(), dir.config.web.listen),
    roundDone,
    record: (name, d, attempts, error) => {
      const { reason, ...details } = deliveryFields(d, attempts, error);
      return audit.record(name, details.auditKey ? { sessionId: details.auditKey } : {}, { ...details, ...(reason ? { reason } : {}) });
    },
  });
  const engine = new AlertEngine({
    store, config, log,
    labelsOf: async (target) => (await policy.current()).targets[target] ?? {},
    spooled: () => delivery.nudge(),
  });
  audit.observe({
    written: (event) => engine.feed(inputOf(event)),
    writeFailed: (failed, ctx, err) => engine.feed({ ...controlInput('AuditWriteFailed', (err as NodeJS.ErrnoException).code ?? err.message, { failed }), ...ctx }),
  });
  delivery.start();
  return {
    control: (name, reason, details) => engine.feed(controlInput(name, reason, details)),
    async stop() {
      await Promise.race([engine.idle(), new Promise((r) => setTimeout(r, 2000))]);
      engine.stop();
      await delivery.stop();
    },
  };
}
