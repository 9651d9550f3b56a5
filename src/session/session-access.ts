// Access for one session: resolves where it goes (target and login), asks the access seam for every channel, and
// answers the live re-check: every action in use decided again, now. Every denial is audited by the caller's onDenied.
import { fail } from '../errors.js';
import type { Caller } from '../auth/login.js';
import { storedSerial } from '../auth/cert-check.js';
import type { Access, Requester } from '../policy/access.js';
import type { RuleContext } from '../policy/command-types.js';
import type { Action, ApprovedAccess, Decision, Limits, PolicyDocument } from '../policy/types.js';
import type { Certificates, Directory, TargetRecord } from '../store/store.js';
import type { Destination } from './destination.js';
import type { IdpLogin } from '../identity/oidc.js';

/** The IdP asked again about a single sign-on login (identity/oidc.ts): the reason to end it, or undefined. */
export interface IdpRecheck {
  recheck(login: IdpLogin, user: string): Promise<string | undefined>;
}

/** Where a session goes, once resolved and allowed: the target and the login on it. */
export interface Resolved {
  target: TargetRecord;
  login: string;
}

export interface AccessHooks {
  /** A denied request, before it is refused: the session audits it. */
  denied(decision: Decision, action: Action, about: { target: string; login: string }): Promise<void>;
  /** An allowed request's limits: the session's clock takes the tighter ones. */
  allowed(limits: Limits): void;
}

/**
 * What the live re-check found: the session must end, and why; or the actions in use that are no longer allowed, each
 * with its reason (none: all still hold).
 */
export type Recheck = { end: string; expired?: ApprovedAccess } | { end?: undefined; revoked: Map<Action, string> };

export class SessionAccess {
  #access: Access;
  #dir: Pick<Directory, 'getTarget' | 'findKey'> & Pick<Certificates, 'certRevocation'>;
  #caller: Caller;
  #hooks: AccessHooks;
  #idp: IdpRecheck | undefined;
  #destination: Destination;
  #resolved: Resolved | undefined;
  /** The action the session was opened for: re-checked while no channel is open. */
  #opening: Action = 'shell';

  constructor(access: Access, dir: Pick<Directory, 'getTarget' | 'findKey'> & Pick<Certificates, 'certRevocation'>, caller: Caller, destination: Destination, hooks: AccessHooks, idp?: IdpRecheck) {
    this.#idp = idp;
    this.#access = access;
    this.#dir = dir;
    this.#caller = caller;
    this.#destination = destination;
    this.#hooks = hooks;
  }

  get destination(): Destination {
    return this.#destination;
  }

  /** A destination chosen later, from the target menu. */
  choose(target: string, login: string): void {
    this.#destination = { kind: 'target', target, login };
  }

  /** The target and login, once the session opened upstream. */
  get resolved(): Resolved | undefined {
    return this.#resolved;
  }

  /** Resolves the destination and checks access for an action. Throws what the user may see. */
  async resolve(action: Action): Promise<Resolved> {
    const dest = this.#destination;
    if (dest.kind !== 'target') throw fail('TARGET_NOT_GIVEN');
    const target = await this.#dir.getTarget(dest.target);
    if (!target) throw fail('TARGET_UNKNOWN', dest.target);
    const resolved = { target, login: await this.#loginFor(target, dest.login, action) };
    await this.#require(resolved, action);
    return resolved;
  }

  /** The session opened upstream to `resolved` for `action`: later channels are checked against it. */
  bind(resolved: Resolved, action: Action): void {
    this.#resolved = resolved;
    this.#opening = action;
  }

  /** Checks a later channel (or agent forwarding) of an already resolved session. Throws ACCESS_DENIED. */
  async authorize(action: Action): Promise<void> {
    if (this.#resolved) await this.#require(this.#resolved, action);
  }

  /** The policy's command, file and tunnel rules for this session's target and login, as applied now. */
  async rules(): Promise<{ policy: PolicyDocument; context: RuleContext }> {
    const r = this.#resolved;
    if (!r) throw fail('TARGET_NOT_GIVEN');
    return this.#access.rules({ ...this.#request(), target: r.target.name, login: r.login });
  }

  /**
   * Every action in use decided again (the opening one while nothing is open): the key and the user must still hold,
   * and the session ends once none of its actions is allowed; otherwise only the refused actions are named.
   */
  async recheck(inUse: Iterable<Action>): Promise<Recheck> {
    const gone = (await this.#credentialGone()) ?? (await this.#idpGone());
    if (gone) return { end: gone };
    const r = this.#resolved;
    if (!r) {
      // A ProxyJump carrier or a menu not yet answered: no target, so only the user must still be there and enabled.
      const why = await this.#access.standing(this.#caller.user);
      return why ? { end: why } : { revoked: new Map() };
    }
    const used = new Set(inUse);
    if (!used.size) used.add(this.#opening);
    const decisions = await this.#access.decideEach({ ...this.#request(), target: r.target.name, login: r.login }, used);
    return verdict(decisions);
  }

  /** A single sign-on login: why the IdP no longer vouches for it (it may also have changed its groups), or undefined. */
  async #idpGone(): Promise<string | undefined> {
    const sso = this.#caller.sso;
    return sso && this.#idp ? this.#idp.recheck(sso, this.#caller.user) : undefined;
  }

  /** Why the key or certificate this session logged in with no longer holds (removed, revoked), or undefined. */
  async #credentialGone(): Promise<string | undefined> {
    const cert = this.#caller.certificate;
    if (cert) {
      const revoked = await this.#dir.certRevocation(cert.ca, storedSerial(cert.serial), cert.keyId);
      return revoked && `the certificate ${cert.keyId} (serial ${cert.serial}) was revoked: ${revoked.reason}`;
    }
    const key = await this.#dir.findKey(this.#caller.keyFingerprint);
    return !key || key.user !== this.#caller.user ? `the key ${this.#caller.keyFingerprint} was removed` : undefined;
  }

  /**
   * The login a destination names. `ssh alice@web1@bastion` reads as "I, alice, to web1": alice's own name is her
   * login there where the policy allows it, and the target's default login otherwise.
   */
  async #loginFor(target: TargetRecord, named: string | undefined, action: Action): Promise<string> {
    if (named === undefined) return target.defaultLogin;
    if (named !== this.#caller.user || named === target.defaultLogin) return named;
    return (await this.#decide(target.name, named, action)).allow ? named : target.defaultLogin;
  }

  async #require(r: Resolved, action: Action): Promise<void> {
    const decision = await this.#decide(r.target.name, r.login, action);
    if (!decision.allow) {
      await this.#hooks.denied(decision, action, { target: r.target.name, login: r.login });
      throw fail('ACCESS_DENIED', decision.reason);
    }
    this.#hooks.allowed(decision.limits);
  }

  #decide(target: string, login: string, action: Action): Promise<Decision> {
    return this.#access.decide({ ...this.#request(), target, login, action });
  }

  #request() {
    return requesterOf(this.#caller);
  }
}

/** The session ends when nothing it uses is allowed any more; otherwise the refused actions end alone. */
function verdict(decisions: Map<Action, Decision>): Recheck {
  const revoked = new Map([...decisions].filter(([, d]) => !d.allow).map(([action, d]) => [action, d.reason]));
  if (revoked.size && revoked.size === decisions.size) {
    // An approved access request that ran out is named, so its expiry is written once (AccessExpired).
    const expired = [...decisions.values()].map((d) => (d.allow ? undefined : d.expired)).find((e) => e !== undefined);
    return { end: revoked.values().next().value!, ...(expired ? { expired } : {}) };
  }
  return { revoked };
}

/** What a login proved, as the access decision weighs it. */
export function requesterOf(c: Caller): Requester {
  const sso = c.sso;
  return { user: c.user, sourceIp: c.sourceIp, mfa: c.mfa, ...(sso ? { groups: sso.identity.policyGroups } : {}), ...(c.certificate ? { certificate: c.ownCa ? ('own' as const) : ('trusted' as const) } : {}), ...(c.codeSkipped ? { codeSkipped: true } : {}) };
}
