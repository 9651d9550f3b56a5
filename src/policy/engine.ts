// The access decision: a pure function of who, from where, to what target and login, doing what, when, with which
// factors. Deny by default; an explicit deny wins; grants (`fumidai grant`) are allow rules for shell, exec, sftp
// and agent forwarding. A deny rule that names no actions denies every action (tunnels, agent and X11 too): only an
// allow falls back to the default actions.
// The reason always names what decided, so the user and the audit trail both know why.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ACTIONS, DAYS, type Action, type ApprovedAccess, type CertificateWaiver, type Decision, type DecisionInput, type Limits, type PolicyDocument, type Rule } from './types.js';

export interface Grant {
  target: string;
  login: string;
}

/** What an allow rule without `actions` allows; a deny rule without `actions` denies every action. */
const DEFAULT_ACTIONS: readonly Action[] = ['shell', 'exec', 'sftp'];
/** A grant lets the user work on the target as with ssh itself: including `ssh -A` to log in upstream with their agent. */
const GRANT_ACTIONS: readonly Action[] = [...DEFAULT_ACTIONS, 'agent-forward'];

export type Check = { ok: true } | { ok: false; why: string };
const pass: Check = { ok: true };

export function groupsOf(user: string, doc: PolicyDocument): string[] {
  return Object.entries(doc.groups).filter(([, members]) => members.includes(user)).map(([g]) => g);
}

export function glob(pattern: string, value: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(value);
}

function appliesTo(rule: Rule, user: string, groups: string[]): boolean {
  if (!rule.users && !rule.groups) return false; // a rule for nobody in particular is for nobody
  return Boolean(rule.users?.some((u) => u === '*' || u === user) || rule.groups?.some((g) => groups.includes(g)));
}

export function targetMatches(rule: { targets?: string[] }, target: string, labels: Record<string, string>): boolean {
  if (!rule.targets) return true;
  return rule.targets.some((t) => {
    const eq = t.indexOf('=');
    return eq > 0 ? labels[t.slice(0, eq)] === t.slice(eq + 1) : glob(t, target);
  });
}

export function inCidrs(ip: string, cidrs: string[]): boolean {
  const list = new BlockList();
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return false;
  for (const c of cidrs) {
    const [addr, bits] = c.split('/');
    const type = isIPv4(addr!) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number(bits), type);
  }
  // An IPv4 client seen through an IPv6 socket (::ffff:10.0.0.1) is matched as IPv4 as well.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
  return list.check(ip, family) || (mapped !== undefined && list.check(mapped, 'ipv4'));
}

/** Day of week and minutes since midnight of `at` in a time zone. */
function localTime(at: Date, timezone = 'UTC'): { day: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return { day: get('weekday').toLowerCase().slice(0, 3), minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

function timeCheck(rule: Rule, at: Date): Check {
  const w = rule.time;
  if (!w) return pass;
  const { day, minutes } = localTime(at, w.timezone);
  if (w.days && !w.days.includes(day as (typeof DAYS)[number])) return { ok: false, why: `not on ${day} (rule '${rule.name}' allows ${w.days.join(', ')})` };
  if (w.hours) {
    const [from, to] = w.hours.split('-').map((hm) => Number(hm.slice(0, 2)) * 60 + Number(hm.slice(3, 5))) as [number, number];
    const inside = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
    if (!inside) return { ok: false, why: `outside ${w.hours} ${w.timezone ?? 'UTC'} (rule '${rule.name}')` };
  }
  return pass;
}

/** Checks a rule's conditions other than who and which target; the first one that fails explains the refusal. */
function conditions(rule: Rule, input: DecisionInput): Check {
  if (rule.logins && !rule.logins.some((l) => l === '*' || l === input.login)) return { ok: false, why: `login '${input.login}' is not one of rule '${rule.name}'` };
  if (!actionsOf(rule).includes(input.action)) return { ok: false, why: `${input.action} is not allowed by rule '${rule.name}'` };
  if (rule.from && !inCidrs(input.sourceIp, rule.from)) return { ok: false, why: `connections from ${input.sourceIp} are not allowed by rule '${rule.name}'` };
  const t = timeCheck(rule, input.at);
  if (!t.ok) return t;
  if (rule.effect === 'allow' && (rule.mfa || input.codeSkipped) && !input.mfa && !waives(rule.waiveWithCertificate, input.certificate))
    return { ok: false, why: input.certificate ? `rule '${rule.name}' requires a second factor (TOTP), which a certificate does not replace there: log in without the certificate (ssh -o CertificateFile=none -o IdentitiesOnly=yes -i KEY) and give the code` : `rule '${rule.name}' requires a second factor (TOTP)` };
  return pass;
}

/** Whether a waiver (global or a rule's) lets this certificate stand in for the second factor. */
function waives(w: CertificateWaiver | undefined, cert: DecisionInput['certificate']): boolean {
  return cert !== undefined && (w === 'any-trusted-ca' || (w === true && cert === 'own'));
}

function actionsOf(rule: Rule): readonly Action[] {
  return rule.actions ?? (rule.effect === 'deny' ? ACTIONS : DEFAULT_ACTIONS);
}

function tightest(rules: Rule[]): Limits {
  const min = (values: (number | undefined)[]) => {
    const v = values.filter((x): x is number => x !== undefined);
    return v.length ? Math.min(...v) : undefined;
  };
  return { idleTimeoutSec: min(rules.map((r) => r.idleTimeout)), maxSessionSec: min(rules.map((r) => r.maxSessionLength)) };
}

/** The longest access a request under this rule may ask for (seconds): 1 h unless the rule says. */
export const maxDurationOf = (rule: Rule): number => rule.maxDuration ?? 3600;

/**
 * A `requires: approval` rule gives access only through an active approved request for this target and login; the
 * newest one that ended is named when none is active, so the user knows why a session ended.
 */
function approvalCheck(rule: Rule, input: DecisionInput, approved: readonly ApprovedAccess[]): Check & { request?: number; expired?: ApprovedAccess } {
  const mine = approved.filter((a) => a.target === input.target && a.login === input.login);
  const active = mine.find((a) => Date.parse(a.until) > input.at.getTime());
  if (active) return { ok: true, request: active.id };
  const ended = mine.sort((a, b) => Date.parse(b.until) - Date.parse(a.until))[0];
  if (ended) return { ok: false, expired: ended, why: `access request #${ended.id} expired at ${ended.until} (rule '${rule.name}'); ask again with 'ssh ${input.user}@bastion request ${input.target} --login ${input.login} --for DURATION --reason WHY'` };
  return { ok: false, why: requestHint(rule, input) };
}

function requestHint(rule: Rule, input: DecisionInput): string {
  return `rule '${rule.name}' needs an approved access request: ask with 'ssh ${input.user}@bastion request ${input.target} --login ${input.login} --for DURATION --reason WHY'`;
}

export function decide(input: DecisionInput, doc: PolicyDocument, grants: readonly Grant[], approved: readonly ApprovedAccess[] = []): Decision {
  if (input.userDisabled) return { allow: false, reason: `user '${input.user}' is disabled` };
  const groups = [...groupsOf(input.user, doc), ...(input.groups ?? [])];
  const labels = doc.targets[input.target] ?? {};
  const relevant = doc.rules.filter((r) => appliesTo(r, input.user, groups) && targetMatches(r, input.target, labels));

  // Deny rules are checked with all their conditions (except mfa, which only strengthens allows): the first that fully matches wins.
  for (const r of relevant.filter((r) => r.effect === 'deny')) {
    const c = conditions({ ...r, mfa: undefined }, input);
    if (c.ok) return { allow: false, reason: `denied by rule '${r.name}'`, rule: r.name };
  }

  const misses: string[] = [];
  let needsRequest: { rule: string; why: string } | undefined;
  let expired: ApprovedAccess | undefined;
  const requests = new Map<Rule, number>();
  const allows = relevant.filter((r) => r.effect === 'allow');
  const matched = allows.filter((r) => {
    let c: Check = conditions(r, input);
    if (c.ok && r.requires === 'approval') {
      const a = approvalCheck(r, input, approved);
      if (!a.ok) {
        needsRequest ??= { rule: r.name, why: a.why };
        expired ??= a.expired;
      } else requests.set(r, a.request!);
      c = a;
    }
    if (!c.ok) misses.push(c.why);
    return c.ok;
  });
  if (matched.length) {
    const first = matched[0]!;
    const request = requests.get(first);
    const by = request !== undefined ? ` (access request #${request})` : '';
    const cert = (first.mfa || input.codeSkipped) && !input.mfa ? ' (a certificate in place of the second factor)' : '';
    return { allow: true, reason: `allowed by rule '${first.name}'${by}${cert}`, rule: first.name, limits: tightest(matched), ...(request !== undefined ? { request } : {}) };
  }

  const grant = grants.find((g) => g.target === input.target && (g.login === input.login || g.login === '*'));
  // A login that skipped the code for its certificate reaches only rules that waive it: never a grant.
  if (grant && input.codeSkipped) misses.push(`a grant needs a login with the second factor (TOTP); this one skipped it for a certificate`);
  else if (grant && GRANT_ACTIONS.includes(input.action)) return { allow: true, reason: `granted ${input.user} -> ${grant.login}@${grant.target}`, limits: {} };
  else if (grant) misses.push(`${input.action} is not part of a grant; it needs a policy rule`);

  if (needsRequest) return { allow: false, reason: needsRequest.why, rule: needsRequest.rule, needsRequest: needsRequest.rule, ...(expired ? { expired } : {}) };
  if (misses.length) return { allow: false, reason: misses[0]! };
  const onTarget = grants.some((g) => g.target === input.target);
  return {
    allow: false,
    reason: onTarget ? `user '${input.user}' may not log in as '${input.login}' on '${input.target}'` : `user '${input.user}' has no access to '${input.target}'`,
  };
}

/** Whether the policy waives the per-login second factor for a certificate of fumidai's own CA (`ownCa`) or another. */
export function certificateWaivesMfa(doc: PolicyDocument, ownCa: boolean): boolean {
  return waives(doc.mfa?.waiveWithCertificate, ownCa ? 'own' : 'trusted');
}

/**
 * Whether some allow rule of the policy waives the second factor for such a certificate (a rule's
 * `waiveWithCertificate`): the login then skips the code, and each decision asks whether its rule waives it.
 */
export function someRuleWaivesMfa(doc: PolicyDocument, ownCa: boolean): boolean {
  return doc.rules.some((r) => r.effect === 'allow' && r.mfa === true && waives(r.waiveWithCertificate, ownCa ? 'own' : 'trusted'));
}

/**
 * The `requires: approval` rule under which `user` may ask for `login` on `target` (who, which target and login
 * only: the other conditions are checked when the access is used), or undefined.
 */
export function requestableRule(doc: PolicyDocument, user: string, target: string, login: string): Rule | undefined {
  const groups = groupsOf(user, doc);
  const labels = doc.targets[target] ?? {};
  return doc.rules.find(
    (r) => r.effect === 'allow' && r.requires === 'approval' && appliesTo(r, user, groups) && targetMatches(r, target, labels) && (!r.logins || r.logins.some((l) => l === '*' || l === login)),
  );
}

/** Whether `approver` may decide a request of `requester` under `rule`: a member of an approvers group, never for themself. */
export function approverCheck(doc: PolicyDocument, rule: Rule, approver: string, requester: string): Check {
  if (approver === requester) return { ok: false, why: 'nobody approves their own request' };
  const groups = groupsOf(approver, doc);
  if (!rule.approvers?.some((g) => groups.includes(g))) return { ok: false, why: `'${approver}' is not in an approvers group of rule '${rule.name}' (${(rule.approvers ?? []).join(', ')})` };
  return pass;
}
