// The policy's `on: shell` rules for one terminal of a session: each submitted line decided by the pure engine, every
// match written as CommandMatched, then the line runs (alert), the session ends (terminate) or the line waits for an
// approver (hold). The relay's LineGate holds the Enter meanwhile.
import { fail } from '../errors.js';
import type { HoldDesk } from '../auth/line-holds.js';
import { spoken } from '../auth/access-requests.js';
import { decideLine, inScope, type LineVerdict, type Matched } from '../policy/command-rules.js';
import type { RuleContext } from '../policy/command-types.js';
import { groupsOf } from '../policy/engine.js';
import type { PolicyDocument } from '../policy/types.js';
import { hiddenMarker } from '../recording/echo-gate.js';
import type { Session } from './session.js';

/** What happens to a submitted line: its Enter goes on; or it never runs (the session ends, or it is cancelled). */
export type LineOutcome = 'pass' | 'end' | 'cancel';

/** The line as the screen shows it, and the keys typed for it (for a line typed without echo, e.g. after `stty -echo`). */
export type LineJudge = (line: { screen: string; keys: string }, cancelled: AbortSignal) => Promise<LineOutcome>;

export interface ShellRulesDeps {
  policy: { current(): Promise<PolicyDocument> };
  /** Without it, a `hold` rule cancels its lines (fail closed). */
  holds?: HoldDesk;
}

const RANK = { pass: 0, hold: 1, terminate: 2 } as const;

export class ShellRules {
  #deps: ShellRulesDeps;

  constructor(deps: ShellRulesDeps) {
    this.#deps = deps;
  }

  /**
   * The judge of a terminal of this session, or undefined when no shell rule is in scope when it opens (then nothing
   * is held back; a rule added by a later reload applies to terminals opened after it). `say` writes a line to the user.
   */
  async judgeFor(session: Session, say: (line: string) => void, channel?: number): Promise<LineJudge | undefined> {
    const doc = await this.#deps.policy.current();
    const ctx = contextOf(session, doc);
    if (!ctx || !(doc.commands ?? []).some((r) => r.on === 'shell' && inScope(r, ctx))) return undefined;
    return async ({ screen, keys }, cancelled) => {
      const now = await this.#deps.policy.current();
      const c = contextOf(session, now) ?? ctx;
      const { verdict, line } = decide(now, c, screen, keys);
      for (const m of verdict.matched)
        await session.events.emit('CommandMatched', { rule: m.rule, action: m.action, on: 'shell', line, ...(channel !== undefined ? { channel } : {}), ...(m.action === 'terminate' ? { result: 'failure' as const, reason: m.reason } : {}) });
      if (verdict.action === 'terminate') {
        session.terminate(fail('COMMAND_DENIED', verdict.refusal.reason, verdict.refusal.rule, 'session ended').line, `command rule '${verdict.refusal.rule}': ${verdict.refusal.reason}`);
        return 'end';
      }
      if (verdict.action === 'hold') return this.#hold(session, c, verdict, line, say, cancelled, channel);
      return 'pass';
    };
  }

  async #hold(session: Session, ctx: RuleContext, v: Extract<LineVerdict, { action: 'hold' }>, line: string, say: (line: string) => void, cancelled: AbortSignal, channel?: number): Promise<LineOutcome> {
    const rule = v.hold.rule;
    const holds = this.#deps.holds;
    if (!holds) {
      say(`fumidai: this line needs an approver (rule '${rule}') and this node cannot hold it; it is cancelled`);
      return 'cancel';
    }
    const pendingUntil = new Date(Date.now() + v.timeoutSec * 1000).toISOString();
    const holdId = await holds.hold({ auditKey: session.auditKey, user: ctx.user, target: ctx.target, login: ctx.login, rule, line, approvers: v.approvers, pendingUntil });
    await session.events.emitOrRefuse('LineHeld', { holdId, rule, line, approvers: v.approvers, pendingUntil, reason: v.hold.reason, ...(channel !== undefined ? { channel } : {}) });
    say(`fumidai: this line waits for an approver (rule '${rule}'), up to ${spoken(v.timeoutSec)}; Ctrl-C cancels (held line #${holdId})`);
    const outcome = await holds.wait(holdId, pendingUntil, cancelled);
    switch (outcome.state) {
      case 'allowed':
        say(`fumidai: held line #${holdId} allowed by ${outcome.by}`);
        return 'pass';
      case 'refused':
        say(`fumidai: held line #${holdId} refused by ${outcome.by}: ${outcome.reason}`);
        return 'cancel';
      case 'expired':
        await session.events.emit('LineHoldExpired', { holdId, rule, result: 'failure' });
        say(`fumidai: no approver decided held line #${holdId} within ${spoken(v.timeoutSec)}; it is cancelled`);
        return 'cancel';
      default:
        await session.events.emit('LineHoldCancelled', { holdId, rule });
        return 'cancel';
    }
  }
}

/** Who and where, as the policy reads it now; undefined before the session reached its target. */
function contextOf(session: Session, doc: PolicyDocument): RuleContext | undefined {
  const resolved = session.access.resolved;
  if (!resolved) return undefined;
  const user = session.caller.user;
  const idp = session.caller.sso?.identity.policyGroups ?? [];
  return { user, groups: [...groupsOf(user, doc), ...idp], target: resolved.target.name, labels: doc.targets[resolved.target.name] ?? {}, login: resolved.login };
}

/**
 * The screen's line decides; the keys typed for it decide too when they would do worse (a line typed blind after
 * `stty -echo`, keys typed ahead of the prompt). The event shows the keys only where the screen showed them.
 */
function decide(doc: PolicyDocument, ctx: RuleContext, screen: string, keys: string): { verdict: LineVerdict; line: string } {
  const seen = decideLine(doc, ctx, screen);
  if (!keys || keys === screen) return { verdict: seen, line: screen };
  const typed = decideLine(doc, ctx, keys);
  if (RANK[typed.action] <= RANK[seen.action] && typed.matched.length <= seen.matched.length) return { verdict: seen, line: screen };
  const rules = new Set(typed.matched.map((m) => m.rule));
  const matched: Matched[] = [...typed.matched, ...seen.matched.filter((m) => !rules.has(m.rule))];
  const verdict = RANK[typed.action] >= RANK[seen.action] ? { ...typed, matched } : { ...seen, matched };
  return { verdict, line: screen.includes(keys) ? keys : hiddenMarker(Buffer.byteLength(keys)) };
}
