// The command, file and tunnel rules a session matched, read back from its CommandMatched events (one per rule), for
// `sessions show` and the console's session page.
import type { AuditEvent } from './events.js';

export interface RuleMatch {
  at: string;
  on: string;
  rule: string;
  action: string;
  /** failure: this rule refused (or ended) what it matched. */
  result: string;
  line: string;
  reason: string;
  channel?: number;
}

export function ruleMatches(events: readonly AuditEvent[]): RuleMatch[] {
  return events
    .filter((e) => e.eventName === 'CommandMatched')
    .map((e) => {
      const d = (e.details ?? {}) as { rule?: string; action?: string; on?: string; line?: string; channel?: number };
      return { at: e.eventTime, on: d.on ?? '', rule: d.rule ?? '', action: d.action ?? '', result: e.result, line: d.line ?? '', reason: e.reason ?? '', ...(d.channel !== undefined ? { channel: d.channel } : {}) };
    });
}
