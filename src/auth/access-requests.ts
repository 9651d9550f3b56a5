// Just-in-time access: a user asks (`ssh alice@bastion request db1 --login postgres --for 2h --reason INC-1234`) under
// a `requires: approval` rule; members of its approvers groups approve or deny (over SSH or with the CLI), never
// their own; once enough approvals are in, the request is a time-bound grant from that moment for the duration asked.
// Every step is an audit event written before the change (fail closed); the decision rules are the policy engine's.
import { fail, type FumidaiError } from '../errors.js';
import { auditUnavailable, type AuditContext } from '../audit/trail.js';
import type { EventFields } from '../audit/events.js';
import { approverCheck, maxDurationOf, requestableRule } from '../policy/engine.js';
import type { PolicyDocument } from '../policy/types.js';
import type { AccessRequestRecord, AccessRequests, Directory } from '../store/store.js';
import { parseRequestArgs } from './request-args.js';
import type { FiledRequest } from './request-webhook.js';

type DeskEvent = 'AccessRequested' | 'AccessApproved' | 'AccessDenied';

export interface DeskDeps {
  store: Pick<AccessRequests, 'addAccessRequest' | 'accessRequest' | 'listAccessRequests' | 'changeAccessRequest'> & Pick<Directory, 'getTarget'>;
  policy: { current(): Promise<PolicyDocument> };
  audit: { record<N extends DeskEvent>(name: N, ctx: AuditContext, fields: EventFields<N>): Promise<void> };
  /** Read at each request: a config reload applies at once. */
  pendingSec: () => number;
  /** Told of each request filed (the request webhook); never awaited. */
  filed?: (r: FiledRequest) => void;
}

/** Who decides, and how they reached fumidai (an SSH login, the console signed in through the IdP, or the bastion admin at the CLI acting as them). */
export interface Decider {
  name: string;
  via: 'ssh' | 'cli' | 'console';
  ctx: AuditContext;
}

/** 90 -> 90s, 7200 -> 2h: the largest whole unit. */
export function spoken(sec: number): string {
  for (const [unit, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (sec % n === 0) return `${sec / n}${unit}`;
  return `${sec}s`;
}

export class RequestDesk {
  #deps: DeskDeps;

  constructor(deps: DeskDeps) {
    this.#deps = deps;
  }

  async #record<N extends DeskEvent>(name: N, ctx: AuditContext, fields: EventFields<N>): Promise<void> {
    await this.#deps.audit.record(name, ctx, fields).catch((err) => Promise.reject(auditUnavailable(err)));
  }

  /** A new pending request; what to print. Throws REQUEST_REFUSED (after its event) when it may not be made. */
  async request(ctx: AuditContext & { user: string }, args: string[], now = new Date()): Promise<string> {
    const refuse = async (why: string, about: { target: string; login: string }): Promise<FumidaiError> => {
      await this.#record('AccessRequested', ctx, { ...about, reason: why, result: 'failure' });
      return fail('REQUEST_REFUSED', why);
    };
    const parsed = parseRequestArgs(args);
    if (!parsed.ok) throw await refuse(parsed.why, { target: '', login: '' });
    const asked = parsed.value;
    const target = await this.#deps.store.getTarget(asked.target);
    if (!target) throw await refuse(`unknown target '${asked.target}'`, { target: asked.target, login: asked.login ?? '' });
    const login = asked.login ?? target.defaultLogin;
    const policy = await this.#deps.policy.current();
    const rule = requestableRule(policy, ctx.user, target.name, login);
    if (!rule) throw await refuse(`no rule lets '${ctx.user}' ask for ${login}@${target.name}`, { target: target.name, login });
    const max = maxDurationOf(rule);
    const forSec = Math.min(asked.forSec, max);
    const capped = forSec < asked.forSec ? ` (--for capped at rule '${rule.name}' maxDuration ${spoken(max)})` : '';
    const pendingUntil = new Date(now.getTime() + this.#deps.pendingSec() * 1000).toISOString();
    const id = await this.#deps.store.addAccessRequest({ user: ctx.user, target: target.name, login, rule: rule.name, forSec, reason: asked.reason, pendingUntil });
    await this.#record('AccessRequested', ctx, { requestId: id, target: target.name, login, forSec, rule: rule.name, pendingUntil, reason: asked.reason });
    this.#deps.filed?.({ id, user: ctx.user, target: target.name, login, forSec, reason: asked.reason, pendingUntil });
    const needed = rule.approvals ?? 1;
    return [
      `access request #${id}: ${login}@${target.name} for ${spoken(forSec)}${capped}, reason: ${asked.reason}`,
      `waiting for ${needed} approval(s) from group(s) ${rule.approvers!.join(', ')} (not yourself) until ${pendingUntil};`,
      `'ssh ${ctx.user}@bastion requests' shows where it stands. Once approved, log in as usual: ssh -J ${ctx.user}@bastion ${login}@${target.name}`,
    ].join('\n');
  }

  /** One user's requests (newest first), or everyone's for an approver at the CLI. */
  async list(user?: string): Promise<string> {
    const all = await this.#deps.store.listAccessRequests(user);
    if (!all.length) return 'no access requests';
    const now = Date.now();
    return all.map((r) => line(r, now)).join('\n');
  }

  /** An approval; the request is a grant once enough are in. Throws (after its event) when refused. */
  async approve(id: number, by: Decider, now = new Date()): Promise<string> {
    const r = await this.#decidable(id, by, 'AccessApproved', now);
    if (r.approvers.includes(by.name)) throw await this.#refused('AccessApproved', r, by, `'${by.name}' approved it already`);
    const needed = (await this.#ruleOf(r))?.approvals ?? 1;
    const approvers = [...r.approvers, by.name];
    const done = approvers.length >= needed;
    const grantedUntil = done ? new Date(now.getTime() + r.forSec * 1000).toISOString() : undefined;
    await this.#record('AccessApproved', { ...by.ctx, user: by.name }, { requestId: r.id, requester: r.user, approvals: approvers.length, needed, ...(grantedUntil ? { grantedUntil } : {}), via: by.via, reason: r.reason });
    const change = done ? { state: 'approved' as const, approvers, decidedBy: by.name, decidedAt: now.toISOString(), grantedUntil } : { state: 'pending' as const, approvers };
    if (!(await this.#deps.store.changeAccessRequest(r.id, r, change))) throw await this.#refused('AccessApproved', r, by, 'it changed meanwhile (another decision); look again');
    return done
      ? `access request #${r.id} approved: ${r.user} may log in to ${r.login}@${r.target} until ${grantedUntil}`
      : `access request #${r.id}: ${approvers.length} of ${needed} approvals; it waits for ${needed - approvers.length} more`;
  }

  /** A denial, with the approver's reason. */
  async deny(id: number, by: Decider, reason: string, now = new Date()): Promise<string> {
    const r = await this.#decidable(id, by, 'AccessDenied', now);
    await this.#record('AccessDenied', { ...by.ctx, user: by.name }, { requestId: r.id, requester: r.user, via: by.via, reason });
    const change = { state: 'denied' as const, approvers: r.approvers, decidedBy: by.name, decisionReason: reason, decidedAt: now.toISOString() };
    if (!(await this.#deps.store.changeAccessRequest(r.id, r, change))) throw await this.#refused('AccessDenied', r, by, 'it changed meanwhile (another decision); look again');
    return `access request #${r.id} denied: ${reason}`;
  }

  /** The request, if this decider may decide it now: pending, not expired, not their own, in an approvers group. */
  async #decidable(id: number, by: Decider, decision: Decision, now: Date): Promise<AccessRequestRecord> {
    const r = await this.#deps.store.accessRequest(id);
    if (!r) throw fail('REQUEST_UNKNOWN', String(id));
    const rule = await this.#ruleOf(r);
    const policy = await this.#deps.policy.current();
    const who = rule ? approverCheck(policy, rule, by.name, r.user) : { ok: false as const, why: `rule '${r.rule}' is no longer in the policy` };
    if (!who.ok) throw await this.#refused(decision, r, by, who.why);
    if (r.state !== 'pending') throw await this.#refused(decision, r, by, `it was ${r.state} already${r.decidedBy ? ` by ${r.decidedBy}` : ''}`);
    if (Date.parse(r.pendingUntil) <= now.getTime()) throw await this.#refused(decision, r, by, `the request expired at ${r.pendingUntil} unapproved; ${r.user} may ask again`);
    return r;
  }

  async #ruleOf(r: AccessRequestRecord) {
    const rule = (await this.#deps.policy.current()).rules.find((x) => x.name === r.rule);
    return rule?.requires === 'approval' ? rule : undefined;
  }

  async #refused(decision: Decision, r: AccessRequestRecord, by: Decider, why: string): Promise<FumidaiError> {
    await this.#record(decision, { ...by.ctx, user: by.name }, { requestId: r.id, requester: r.user, via: by.via, reason: why, result: 'failure' });
    return fail('APPROVAL_REFUSED', r.id, why);
  }
}

/** The event a decision writes. */
type Decision = 'AccessApproved' | 'AccessDenied';

function line(r: AccessRequestRecord, now: number): string {
  const pending = Date.parse(r.pendingUntil) <= now ? `expired unapproved at ${r.pendingUntil}` : `pending until ${r.pendingUntil} (${r.approvers.length} approval(s))`;
  const ended = r.grantedUntil && Date.parse(r.grantedUntil) <= now ? 'approved, ended' : 'approved until';
  const state = r.state === 'approved' ? `${ended} ${r.grantedUntil} by ${r.approvers.join(', ')}` : r.state === 'denied' ? `denied by ${r.decidedBy}: ${r.decisionReason}` : pending;
  return `#${r.id} ${r.user} ${r.login}@${r.target} for ${spoken(r.forSec)} [${state}] reason: ${r.reason}`;
}
