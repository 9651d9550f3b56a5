// Deprovisioning of console single sign-on sessions: what the IdP gave at sign-in (access token, refresh token if any,
// subject) is kept in this node's memory beside the session, never in a cookie, the store or a log. Each request and
// each live view's periodic check asks the IdP again once auth.oidc.recheckInterval has passed (OidcIdp.recheck): new
// groups give the role, no mapped group or a refusal ends the session. A session this node holds no grant for (opened
// on another node or before a restart) cannot be re-checked, so it ends too (fail closed): signing in again is one click.
import type { AuditTrail } from '../audit/trail.js';
import type { IdpLogin, OidcIdp } from '../identity/oidc.js';
import type { WebRole } from '../store/store.js';
import { idHash, type ConsoleSession } from './console-sessions.js';
import { ssoRole, type SsoRoles } from './sso-role.js';

export interface SsoGrantDeps {
  idp: Pick<OidcIdp, 'recheck'>;
  roles: () => SsoRoles | undefined;
  audit: Pick<AuditTrail, 'record'>;
  /** Ends the console session of a cookie (in the store: every node sees it gone). */
  close: (cookie: string) => Promise<void>;
}

interface Grant {
  name: string;
  role: WebRole;
  login: IdpLogin;
  seen: number;
}

/** Reasons kept for the login page's one line; bounded (a flood of ended sessions cannot grow it). */
const ENDED_MAX = 1000;

export class SsoGrants {
  #d: SsoGrantDeps;
  #grants = new Map<string, Grant>();
  #checks = new Map<string, Promise<ConsoleSession | undefined>>();
  #ended = new Map<string, string>();

  constructor(deps: SsoGrantDeps) {
    this.#d = deps;
  }

  add(cookie: string, name: string, role: WebRole, login: IdpLogin): void {
    this.#grants.set(idHash(cookie), { name, role, login, seen: Date.now() });
  }

  /** Logout: the grant goes with the session. */
  forget(cookie: string | undefined): void {
    if (cookie) this.#grants.delete(idHash(cookie));
  }

  /** The session as the IdP vouches for it now (role from its groups), or undefined once it ended (reason kept). */
  vouch(cookie: string, session: ConsoleSession): Promise<ConsoleSession | undefined> {
    const key = idHash(cookie);
    // One re-check at a time per session: a refresh token may be good for one use only.
    let check = this.#checks.get(key);
    if (!check) {
      check = this.#check(key, cookie, session).finally(() => this.#checks.delete(key));
      this.#checks.set(key, check);
    }
    return check;
  }

  /** Why the session of this cookie was ended here (taken once: the login page's line), if it was. */
  endedWhy(cookie: string | undefined): string | undefined {
    if (!cookie) return undefined;
    const key = idHash(cookie);
    const why = this.#ended.get(key);
    this.#ended.delete(key);
    return why;
  }

  /** Drops grants whose sessions went idle (the store forgets those sessions at the same age). */
  sweep(idleMs: number, now = Date.now()): void {
    for (const [key, g] of this.#grants) if (now - g.seen > idleMs) this.#grants.delete(key);
  }

  async #check(key: string, cookie: string, session: ConsoleSession): Promise<ConsoleSession | undefined> {
    const g = this.#grants.get(key);
    if (!g || g.name !== session.name) return this.#end(key, cookie, session.name, undefined, 'single sign-on: this node holds no IdP grant for the session (signed in elsewhere or before a restart)');
    g.seen = Date.now();
    const refused = await this.#d.idp.recheck(g.login, g.name);
    if (refused) return this.#end(key, cookie, g.name, g.login, refused);
    const roles = this.#d.roles();
    const role = roles && ssoRole(g.login.identity.groups, roles);
    if (!role) return this.#end(key, cookie, g.name, g.login, `single sign-on: '${g.name}' is in no IdP group that may use this console`);
    if (role !== g.role) {
      const { issuer, sub, groups } = g.login.identity;
      await this.#d.audit.record('ConsoleSsoRoleChanged', { user: g.name }, { issuer, sub, groups, from: g.role, to: role });
      g.role = role;
    }
    return { ...session, role: g.role };
  }

  async #end(key: string, cookie: string, name: string, login: IdpLogin | undefined, why: string): Promise<undefined> {
    this.#grants.delete(key);
    const { issuer = '', sub = '', groups = [] } = login?.identity ?? {};
    await this.#d.audit.record('ConsoleSsoEnded', { user: name }, { issuer, sub, groups, reason: why });
    await this.#d.close(cookie);
    if (this.#ended.size >= ENDED_MAX) this.#ended.delete(this.#ended.keys().next().value!);
    this.#ended.set(key, `Signed out: ${why}.`);
    return undefined;
  }
}
