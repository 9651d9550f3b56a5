// Alert rules, pure: each input (an audit event as written, or a control failure of the bastion itself) is checked
// against every enabled rule; a rule that holds gives a hit with a key (what a flood of it is folded by). Windows and
// per-session totals live in a RuleState the caller keeps; facts that need the store (the user's past addresses, a
// target's labels) are looked up by the caller first and passed in.
import { BUILT_IN_RULES, type AlertRuleConfig } from '../config/alerts-schema.js';

/** An audit event, or a control failure in the same shape (name: AuditWriteFailed, ShippingBacklog, StoreUnavailable). */
export interface AlertInput {
  name: string;
  time: string;
  eventId?: string;
  sessionId?: string;
  user?: string;
  sourceIp?: string;
  target?: string;
  login?: string;
  result: 'success' | 'failure';
  reason?: string;
  details?: Record<string, unknown>;
}

export type Severity = 'critical' | 'warning' | 'info';

export interface AlertRule extends Required<Pick<AlertRuleConfig, 'kind' | 'severity' | 'rateLimit' | 'enabled'>>, Omit<AlertRuleConfig, 'kind' | 'severity' | 'rateLimit' | 'enabled'> {
  name: string;
}

export interface Hit {
  rule: string;
  /** Hits of one rule with one key within its rate limit become one alert with a count. */
  key: string;
  severity: Severity;
  summary: string;
  input: AlertInput;
}

/** What the caller looked up for this input. */
export interface Facts {
  /** AuthSuccess: when the user last logged in from this address (ms), null if never; `known`: the user has history. */
  lastFromAddress?: { at: number | null; known: boolean };
  /** TargetConnect: the target's labels from the policy. */
  labels?: Record<string, string>;
}

/** Control failures of the bastion itself: every one is an alert (PCI DSS 10.7). */
export const CONTROL_FAILURES = ['RecordingFailed', 'AuditWriteFailed', 'AuditTampered', 'AnchorBacklog', 'ShippingBacklog', 'StoreUnavailable', 'RecordingInterrupted'];

export { BUILT_IN_RULES };

/** The rules in force: the built-ins with the config's changes, then the config's own rules (which need a kind). */
export function effectiveRules(config: Record<string, AlertRuleConfig>): AlertRule[] {
  const names = new Set([...Object.keys(BUILT_IN_RULES), ...Object.keys(config)]);
  const rules: AlertRule[] = [];
  for (const name of names) {
    const merged = { ...BUILT_IN_RULES[name], ...config[name] };
    if (!merged.kind) throw new Error(`alerts.rules.${name}: a rule that is not built in needs a kind`);
    rules.push({ ...merged, name, kind: merged.kind, severity: merged.severity ?? 'warning', rateLimit: merged.rateLimit ?? 60, enabled: merged.enabled ?? true });
  }
  return rules;
}

/** Counts over windows and per-session totals, kept between inputs. */
export class RuleState {
  /** rule + key -> times (ms) within the window. */
  readonly windows = new Map<string, number[]>();
  /** rule + session -> files and bytes read, and whether the rule already fired for it. */
  readonly reads = new Map<string, { files: number; bytes: number; fired: boolean; at: number }>();

  /** Drops what is older than an hour past its window: memory stays bounded under a flood of distinct keys. */
  prune(now: number): void {
    for (const [k, times] of this.windows) if (!times.length || times.at(-1)! < now - 3_600_000 * 24) this.windows.delete(k);
    for (const [k, r] of this.reads) if (r.at < now - 3_600_000 * 24) this.reads.delete(k);
  }
}

const firstWord = (line: string) => {
  const words = line.trim().split(/\s+/);
  // `env`, `exec`, `command`, `nohup` and `time` run the next word: sudo behind them is sudo.
  while (words.length > 1 && ['env', 'exec', 'command', 'nohup', 'time', 'nice'].includes(words[0]!)) words.shift();
  return words[0]?.replace(/^.*\//, '') ?? '';
};

/** Each `;`, `&&`, `||`, `|` separated command of a line, for the first-word test. */
const commandsOf = (line: string) => line.split(/;|&&|\|\||\||\n/).map(firstWord).filter(Boolean);

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** Inside `HH:MM-HH:MM` (UTC) on one of `weekdays`; a window over midnight (22:00-06:00) is allowed. */
export function insideHours(at: Date, hours: string, weekdays: number[]): boolean {
  const [from, to] = hours.split('-').map(minutesOf) as [number, number];
  const m = at.getUTCHours() * 60 + at.getUTCMinutes();
  const inTime = from <= to ? m >= from && m < to : m >= from || m < to;
  return inTime && weekdays.includes(at.getUTCDay());
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The hit of one rule for one input, if the rule holds. */
function check(rule: AlertRule, input: AlertInput, facts: Facts, state: RuleState, now: number): Omit<Hit, 'rule' | 'severity' | 'input'> | undefined {
  const d = input.details ?? {};
  switch (rule.kind) {
    case 'event':
      if (!rule.events?.includes(input.name) || (rule.result && input.result !== rule.result)) return undefined;
      // A session's matches of different command rules are different alerts; repeats of one rule fold.
      return { key: `${input.sessionId ?? input.sourceIp ?? ''}${str(d.rule) ? ` ${str(d.rule)}` : ''}`, summary: `${input.name}${input.user ? ` by ${input.user}` : ''}${input.target ? ` on ${input.target}` : ''}${str(d.line) ? `: ${str(d.line)}` : str(d.destination) ? ` to ${str(d.destination)}` : ''}` };
    case 'count': {
      if (!rule.events?.includes(input.name) || (rule.result && input.result !== rule.result)) return undefined;
      if (input.name === 'AuthFailure' && d.method === 'none') return undefined; // every client asks "none" first
      const by = input[rule.by ?? 'sourceIp'];
      if (!by) return undefined;
      const k = `${rule.name}\0${by}`;
      const since = now - (rule.window ?? 60) * 1000;
      const times = (state.windows.get(k) ?? []).filter((t) => t > since);
      times.push(now);
      state.windows.set(k, times);
      if (times.length < (rule.threshold ?? 5)) return undefined;
      return { key: by, summary: `${times.length} ${(rule.events ?? []).join('/')} for ${rule.by ?? 'sourceIp'} ${by} within ${rule.window ?? 60} s` };
    }
    case 'new-address': {
      const seen = facts.lastFromAddress;
      if (input.name !== 'AuthSuccess' || !input.user || !input.sourceIp || !seen?.known) return undefined;
      if (seen.at !== null && seen.at > now - (rule.days ?? 30) * 86_400_000) return undefined;
      return { key: `${input.user} ${input.sourceIp}`, summary: `${input.user} logged in from ${input.sourceIp}, an address not used by them in ${rule.days ?? 30} days` };
    }
    case 'outside-hours':
      if (input.name !== 'TargetConnect' || insideHours(new Date(input.time), rule.hours ?? '00:00-24:00', rule.weekdays ?? [0, 1, 2, 3, 4, 5, 6])) return undefined;
      return { key: input.user ?? '', summary: `${input.user} reached ${input.target} outside ${rule.hours} UTC` };
    case 'labelled-target': {
      if (input.name !== 'TargetConnect' || !facts.labels) return undefined;
      const hit = rule.labels?.find((l) => facts.labels![l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1));
      return hit ? { key: input.sessionId ?? '', summary: `${input.user} reached ${input.target} (${hit}) as ${input.login}` } : undefined;
    }
    case 'command': {
      const line = input.name === 'CommandMatched' ? str(d.line) : input.name === 'ChannelOpen' ? str(d.command) : undefined;
      if (!line) return undefined;
      const word = commandsOf(line).find((w) => rule.words?.includes(w));
      return word ? { key: input.sessionId ?? '', summary: `${word} run by ${input.user} on ${input.target}: ${line.slice(0, 200)}` } : undefined;
    }
    case 'bulk-read': {
      if (input.name !== 'FileTransfer' || d.op !== 'read' || !input.sessionId) return undefined;
      const k = `${rule.name}\0${input.sessionId}`;
      const r = state.reads.get(k) ?? { files: 0, bytes: 0, fired: false, at: now };
      r.files += 1;
      r.bytes += typeof d.bytes === 'number' ? d.bytes : 0;
      r.at = now;
      state.reads.set(k, r);
      if (r.fired || (r.files < (rule.files ?? Infinity) && r.bytes < (rule.bytes ?? Infinity))) return undefined;
      r.fired = true;
      return { key: input.sessionId, summary: `${input.user} read ${r.files} files (${r.bytes} bytes) from ${input.target} in one session` };
    }
    case 'control': {
      if (!CONTROL_FAILURES.includes(input.name)) return undefined;
      // An interrupted recording that was repaired, or an anchor backlog that cleared, is not a failure.
      if ((input.name === 'RecordingInterrupted' && input.result !== 'failure') || (input.name === 'AnchorBacklog' && d.state !== 'over')) return undefined;
      return { key: input.name, summary: `${input.name}${input.reason ? `: ${input.reason}` : ''}` };
    }
  }
}

/** Every enabled rule's hit for this input. Alerts' own events never make alerts (a failing sink would feed itself). */
export function evaluate(rules: AlertRule[], input: AlertInput, facts: Facts, state: RuleState, now: number): Hit[] {
  if (input.name.startsWith('Alert')) return [];
  const hits: Hit[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const h = check(rule, input, facts, state, now);
    if (h) hits.push({ ...h, rule: rule.name, severity: rule.severity, input });
  }
  return hits;
}
