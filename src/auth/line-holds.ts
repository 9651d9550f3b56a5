// Shell lines held for an approver: a `hold` rule matched a line a user submitted, its Enter waits. The holding
// session writes the hold to the store and polls it; an approver (a member of one of the rule's approvers groups,
// never the user who typed it) allows or refuses it over SSH (`ssh bob@bastion allow 7`) or at the CLI, on any node.
// Every decision is an audit event written before the change (fail closed).
import { fail, type FumidaiError } from '../errors.js';
import { auditUnavailable, type AuditContext } from '../audit/trail.js';
import type { EventFields } from '../audit/events.js';
import { groupsOf } from '../policy/engine.js';
import type { PolicyDocument } from '../policy/types.js';
import type { LineHoldRecord, LineHolds, NewLineHold } from '../store/store.js';
import type { Decider } from './access-requests.js';

type HoldEvent = 'LineHoldAllowed' | 'LineHoldRefused';

export interface HoldDeskDeps {
  store: LineHolds;
  policy: { current(): Promise<PolicyDocument> };
  audit: { record<N extends HoldEvent>(name: N, ctx: AuditContext, fields: EventFields<N>): Promise<void> };
}

/** How a held line ended, as the holding session learns it. */
export type HoldOutcome = { state: 'allowed'; by: string } | { state: 'refused'; by: string; reason: string } | { state: 'expired' | 'cancelled' };

/** How often the holding node reads its hold again: an approver's decision may be written by another node. */
export const HOLD_POLL_MS = 250;

export class HoldDesk {
  #deps: HoldDeskDeps;

  constructor(deps: HoldDeskDeps) {
    this.#deps = deps;
  }

  hold(h: NewLineHold): Promise<number> {
    return this.#deps.store.addLineHold(h);
  }

  /** Waits for a decision until the hold's deadline, or until `cancelled` fires (the user's Ctrl-C, the session's end). */
  async wait(id: number, pendingUntil: string, cancelled: AbortSignal): Promise<HoldOutcome> {
    const deadline = Date.parse(pendingUntil);
    for (;;) {
      if (cancelled.aborted) return (await this.#deps.store.decideLineHold(id, 'cancelled')) ? { state: 'cancelled' } : this.#outcome(id);
      if (Date.now() >= deadline) return (await this.#deps.store.decideLineHold(id, 'expired')) ? { state: 'expired' } : this.#outcome(id);
      const h = await this.#deps.store.lineHold(id);
      if (h && h.state !== 'pending') return outcomeOf(h);
      await sleep(Math.min(HOLD_POLL_MS, deadline - Date.now()), cancelled);
    }
  }

  async #outcome(id: number): Promise<HoldOutcome> {
    const h = await this.#deps.store.lineHold(id);
    return h ? outcomeOf(h) : { state: 'cancelled' };
  }

  /** Pending holds, one per line of text: every one (the CLI), or those a user typed or may decide (over SSH). */
  async list(viewer?: string): Promise<string> {
    const groups = viewer === undefined ? [] : groupsOf(viewer, await this.#deps.policy.current());
    const holds = (await this.#deps.store.pendingLineHolds()).filter((h) => viewer === undefined || h.user === viewer || h.approvers.some((g) => groups.includes(g)));
    if (!holds.length) return 'no held lines';
    return holds.map((h) => `#${h.id} ${h.user} ${h.login}@${h.target} rule '${h.rule}' (approvers: ${h.approvers.join(', ')}) until ${h.pendingUntil}: ${h.line}`).join('\n');
  }

  async allow(id: number, by: Decider): Promise<string> {
    const h = await this.#decidable(id, by, 'LineHoldAllowed');
    await this.#record('LineHoldAllowed', { ...by.ctx, user: by.name }, { holdId: id, requester: h.user, via: by.via });
    if (!(await this.#deps.store.decideLineHold(id, 'allowed', by.name))) throw await this.#refused('LineHoldAllowed', h, by, 'it was decided meanwhile (or it timed out)');
    return `held line #${id} allowed: ${h.user}'s line goes on`;
  }

  async refuse(id: number, by: Decider, reason: string): Promise<string> {
    const h = await this.#decidable(id, by, 'LineHoldRefused');
    await this.#record('LineHoldRefused', { ...by.ctx, user: by.name }, { holdId: id, requester: h.user, via: by.via, reason });
    if (!(await this.#deps.store.decideLineHold(id, 'refused', by.name, reason))) throw await this.#refused('LineHoldRefused', h, by, 'it was decided meanwhile (or it timed out)');
    return `held line #${id} refused: ${h.user}'s line is cancelled`;
  }

  async #decidable(id: number, by: Decider, decision: HoldEvent): Promise<LineHoldRecord> {
    const h = await this.#deps.store.lineHold(id);
    if (!h) throw fail('HOLD_UNKNOWN', String(id));
    if (h.user === by.name) throw await this.#refused(decision, h, by, 'nobody decides their own line');
    const groups = groupsOf(by.name, await this.#deps.policy.current());
    if (!h.approvers.some((g) => groups.includes(g))) throw await this.#refused(decision, h, by, `'${by.name}' is not in an approvers group of rule '${h.rule}' (${h.approvers.join(', ')})`);
    if (h.state !== 'pending') throw await this.#refused(decision, h, by, `it was ${h.state} already${h.decidedBy ? ` by ${h.decidedBy}` : ''}`);
    if (Date.parse(h.pendingUntil) <= Date.now()) throw await this.#refused(decision, h, by, `it timed out at ${h.pendingUntil}`);
    return h;
  }

  async #record<N extends HoldEvent>(name: N, ctx: AuditContext, fields: EventFields<N>): Promise<void> {
    await this.#deps.audit.record(name, ctx, fields).catch((err) => Promise.reject(auditUnavailable(err)));
  }

  async #refused(decision: HoldEvent, h: LineHoldRecord, by: Decider, why: string): Promise<FumidaiError> {
    await this.#record(decision, { ...by.ctx, user: by.name }, { holdId: h.id, requester: h.user, via: by.via, reason: why, result: 'failure' });
    return fail('HOLD_NOT_DECIDED', h.id, why);
  }
}

function outcomeOf(h: LineHoldRecord): HoldOutcome {
  if (h.state === 'allowed') return { state: 'allowed', by: h.decidedBy ?? '' };
  if (h.state === 'refused') return { state: 'refused', by: h.decidedBy ?? '', reason: h.decisionReason ?? '' };
  return { state: h.state === 'expired' ? 'expired' : 'cancelled' };
}

function sleep(ms: number, cancelled: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, Math.max(ms, 0));
    function done() {
      clearTimeout(t);
      cancelled.removeEventListener('abort', done);
      resolve();
    }
    cancelled.addEventListener('abort', done);
  });
}
