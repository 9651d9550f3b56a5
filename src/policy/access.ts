// The one door to an access decision. A session's every channel, the target menu, the live re-check and
// `fumidai policy check` all ask here: it gathers the facts (the user as the store knows them now, their grants, the
// applied policy) and hands them to the pure engine. Access requests, certificates and command rules come in here too.
import type { AccessRequestRecord, AccessRequests, Directory } from '../store/store.js';
import type { RuleContext } from './command-types.js';
import { certificateWaivesMfa, decide, groupsOf, someRuleWaivesMfa } from './engine.js';
import type { Action, ApprovedAccess, Decision, PolicyDocument } from './types.js';

type AccessDir = Pick<Directory, 'getUser' | 'grantsOf' | 'listTargets'> & Pick<AccessRequests, 'approvedAccessOf'>;

const approvedOf = (rows: AccessRequestRecord[]): ApprovedAccess[] => rows.map((r) => ({ id: r.id, target: r.target, login: r.login, until: r.grantedUntil! }));

/** Who asks, from where, with which factors: what a login proved. */
export interface Requester {
  user: string;
  sourceIp: string;
  /** Whether this login gave a second factor. */
  mfa: boolean;
  /** Policy groups the IdP gave this login (single sign-on). */
  groups?: readonly string[];
  /** A certificate login, and whether it skipped the code (DecisionInput). */
  certificate?: 'own' | 'trusted';
  codeSkipped?: boolean;
}

/** The facts of a login the engine weighs besides who and where. */
const factors = (r: Requester) => ({ mfa: r.mfa, ...(r.groups ? { groups: r.groups } : {}), ...(r.certificate ? { certificate: r.certificate } : {}), ...(r.codeSkipped ? { codeSkipped: true } : {}) });

export interface AccessRequest extends Requester {
  target: string;
  login: string;
  action: Action;
  /** When the access is wanted; now if absent. */
  at?: Date;
}

/** Where a target menu may lead: a target and a login on it. */
export interface Reachable {
  target: string;
  login: string;
}

export class Access {
  #dir: AccessDir;
  #policy: { current(): Promise<PolicyDocument> };

  constructor(dir: AccessDir, policy: { current(): Promise<PolicyDocument> }) {
    this.#dir = dir;
    this.#policy = policy;
  }

  /** Allow or deny, with the reason a person reads; a user the store no longer has is denied. */
  async decide(req: AccessRequest): Promise<Decision> {
    const user = await this.#dir.getUser(req.user);
    if (!user) return { allow: false, reason: `user '${req.user}' was removed` };
    const at = req.at ?? new Date();
    const [policy, grants, approved] = await Promise.all([this.#policy.current(), this.#dir.grantsOf(user.name), this.#dir.approvedAccessOf(user.name, at)]);
    const { target, login, action, sourceIp } = req;
    return decide({ user: user.name, userDisabled: user.disabled, sourceIp, target, login, action, at, ...factors(req) }, policy, grants, approvedOf(approved));
  }

  /** One decision per action, on one reading of the user, their grants and the policy (the live re-check's question). */
  async decideEach(req: Omit<AccessRequest, 'action'>, actions: Iterable<Action>): Promise<Map<Action, Decision>> {
    const user = await this.#dir.getUser(req.user);
    const removed: Decision = { allow: false, reason: `user '${req.user}' was removed` };
    const at = req.at ?? new Date();
    const [policy, grants, approved] = user ? await Promise.all([this.#policy.current(), this.#dir.grantsOf(user.name), this.#dir.approvedAccessOf(user.name, at)]) : [undefined, [], []];
    const { target, login, sourceIp } = req;
    const decisions = new Map<Action, Decision>();
    for (const action of actions)
      decisions.set(action, user && policy ? decide({ user: user.name, userDisabled: user.disabled, sourceIp, target, login, action, at, ...factors(req) }, policy, grants, approvedOf(approved)) : removed);
    return decisions;
  }

  /**
   * The applied policy and where its command, file and tunnel rules are decided: the user's groups as the access
   * decision sees them (the policy's and the IdP's) and the target's labels. Read anew on each call, so a reloaded
   * policy applies to the next channel, line or transfer.
   */
  async rules(req: Requester & { target: string; login: string }): Promise<{ policy: PolicyDocument; context: RuleContext }> {
    const policy = await this.#policy.current();
    const groups = [...new Set([...groupsOf(req.user, policy), ...(req.groups ?? [])])];
    return { policy, context: { user: req.user, groups, target: req.target, labels: policy.targets[req.target] ?? {}, login: req.login } };
  }

  /** Whether a certificate login skips the TOTP prompt (policy `mfa.waiveWithCertificate`); never by default. */
  async certificateWaivesMfa(ownCa: boolean): Promise<boolean> {
    return certificateWaivesMfa(await this.#policy.current(), ownCa);
  }

  /** Whether some rule's `waiveWithCertificate` lets such a certificate login skip the code (decided per rule after). */
  async someRuleWaivesMfa(ownCa: boolean): Promise<boolean> {
    return someRuleWaivesMfa(await this.#policy.current(), ownCa);
  }

  /** Why this user may not come in at all (removed or disabled), or undefined. */
  async standing(name: string): Promise<string | undefined> {
    const user = await this.#dir.getUser(name);
    return !user ? `user '${name}' was removed` : user.disabled ? `user '${name}' is disabled` : undefined;
  }

  /** The targets and logins (granted ones and each target's default) where this requester may do `action` now. */
  async reachable(who: Requester, action: Action = 'shell'): Promise<Reachable[]> {
    const user = await this.#dir.getUser(who.user);
    if (!user) return [];
    const at = new Date();
    const [grants, policy, targets, rows] = await Promise.all([this.#dir.grantsOf(user.name), this.#policy.current(), this.#dir.listTargets(), this.#dir.approvedAccessOf(user.name, at)]);
    const approved = approvedOf(rows);
    const entries: Reachable[] = [];
    for (const t of targets) {
      const logins = new Set([...grants.filter((g) => g.target === t.name && g.login !== '*').map((g) => g.login), ...approved.filter((a) => a.target === t.name).map((a) => a.login), t.defaultLogin]);
      for (const login of logins) {
        const input = { user: user.name, userDisabled: user.disabled, sourceIp: who.sourceIp, target: t.name, login, action, at, ...factors(who) };
        if (decide(input, policy, grants, approved).allow) entries.push({ target: t.name, login });
      }
    }
    return entries;
  }
}
