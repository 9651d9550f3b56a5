// What the server and the CLI share to run alerting: audit events as rule inputs, the sinks' senders (made again
// when a reload changed a sink), the console's address for links, and the delivery's audit events.
import type { AuditEvent } from '../audit/events.js';
import type { AlertsConfig, AlertSinkConfig } from '../config/alerts-schema.js';
import type { ClaimedDelivery } from '../store/store.js';
import type { AlertInput } from './rules.js';
import { sinkSender, type Send } from './sinks.js';

export function inputOf(e: AuditEvent): AlertInput {
  return {
    name: e.eventName, time: e.eventTime, eventId: e.eventId, result: e.result,
    ...(e.sessionId ? { sessionId: e.sessionId } : {}), ...(e.user ? { user: e.user } : {}), ...(e.sourceIp ? { sourceIp: e.sourceIp } : {}),
    ...(e.target ? { target: e.target } : {}), ...(e.login ? { login: e.login } : {}), ...(e.reason ? { reason: e.reason } : {}),
    ...(e.details ? { details: e.details } : {}),
  };
}

/** A control failure of the bastion itself, as a rule input. */
export const controlInput = (name: string, reason: string, details: Record<string, unknown> = {}): AlertInput => ({ name, time: new Date().toISOString(), result: 'failure', reason, details });

export function sendersOf(config: () => AlertsConfig, dataPath: (p: string) => string): (sink: string) => Send | undefined {
  const made = new Map<string, { key: string; send: Send }>();
  return (name) => {
    const sink: AlertSinkConfig | undefined = config().sinks.find((s) => s.name === name);
    if (!sink) return undefined;
    const key = JSON.stringify(sink);
    let m = made.get(name);
    if (m?.key !== key) made.set(name, (m = { key, send: sinkSender(sink, dataPath) }));
    return m.send;
  };
}

/** alerts.consoleUrl, else the web console's listen address. */
export function consoleUrlOf(alerts: AlertsConfig, webListen: string): string | undefined {
  return alerts.consoleUrl ?? (webListen ? `https://${webListen}` : undefined);
}

/** The details of AlertDelivered / AlertDeliveryFailure for a delivery. */
export function deliveryFields(d: ClaimedDelivery, attempts: number, error?: string) {
  const auditKey = (JSON.parse(d.alert.event) as AlertInput).sessionId;
  return { alertId: d.alert.id, rule: d.alert.rule, sink: d.sink, count: d.alert.count, attempts, ...(auditKey ? { auditKey } : {}), ...(error ? { reason: error } : {}) };
}
