// What a sink says about an alert: one shape for every sink (the webhook sends it as JSON; Slack, syslog and email
// render it as text), with the audit key and a link to the session in the console.
import type { AlertRecord } from '../store/store.js';
import type { AlertInput } from './rules.js';

export interface AlertMessage {
  /** The spool's number: a receiver that sees one twice (a retry after a lost answer) can drop the second. */
  id: number;
  rule: string;
  severity: string;
  summary: string;
  /** Hits folded into this alert (a flood within the rule's rate limit). */
  count: number;
  firstAt: string;
  lastAt: string;
  node: string;
  auditKey?: string;
  link?: string;
  event: AlertInput;
}

export function alertMessage(a: AlertRecord, node: string, consoleUrl: string | undefined): AlertMessage {
  const event = JSON.parse(a.event) as AlertInput;
  const auditKey = event.sessionId;
  const base = consoleUrl?.replace(/\/+$/, '');
  return {
    id: a.id, rule: a.rule, severity: a.severity, summary: a.summary, count: a.count,
    firstAt: new Date(a.firstAt).toISOString(), lastAt: new Date(a.lastAt).toISOString(), node,
    ...(auditKey ? { auditKey } : {}),
    ...(auditKey && base ? { link: `${base}/sessions/${encodeURIComponent(auditKey)}` } : {}),
    event,
  };
}

/** One line for people: severity, rule, summary, and the count when hits were folded. */
export function headline(m: AlertMessage): string {
  const more = m.count > 1 ? ` (${m.count} times, ${m.firstAt} to ${m.lastAt})` : '';
  return `[fumidai ${m.severity}] ${m.rule}: ${m.summary}${more}`;
}

/** The text of Slack and email: the headline, then who, where, the audit key and the link. */
export function textOf(m: AlertMessage): string {
  const e = m.event;
  const lines = [
    headline(m),
    `event: ${e.name} at ${e.time} on node ${m.node}`,
    ...(e.user ? [`user: ${e.user}`] : []),
    ...(e.sourceIp ? [`from: ${e.sourceIp}`] : []),
    ...(e.target ? [`target: ${e.target}${e.login ? ` as ${e.login}` : ''}`] : []),
    ...(e.reason ? [`reason: ${e.reason}`] : []),
    ...(m.auditKey ? [`audit key: ${m.auditKey}`] : []),
    ...(m.link ? [`session: ${m.link}`] : []),
  ];
  return lines.join('\n');
}
