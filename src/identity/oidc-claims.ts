// What an IdP's claims mean to fumidai, apart from any I/O: who the login is (the user claim must name the user whose
// key logged in), which IdP groups it has, and which policy groups those give through auth.oidc.groupMap.

/** The IdP identity that approved a login: recorded in AuthSuccess and kept with the session for the re-check. */
export interface IdpIdentity {
  issuer: string;
  sub: string;
  /** The groups claim as the IdP sent it. */
  groups: string[];
  /** The policy groups those give (groupMap). */
  policyGroups: string[];
}

export type Claims = Record<string, unknown>;

export interface ClaimRules {
  userClaim: string;
  groupsClaim: string;
  groupMap: Record<string, string[]>;
}

/** A groups claim is a list of strings (some IdPs send one string when there is one group); anything else is none. */
export function claimGroups(claims: Claims, name: string): string[] {
  const v = claims[name];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}

/** The policy groups the IdP groups give, each once, in groupMap's order. */
export function policyGroups(idpGroups: readonly string[], map: Record<string, string[]>): string[] {
  const out = new Set<string>();
  for (const [from, to] of Object.entries(map)) if (idpGroups.includes(from)) to.forEach((g) => out.add(g));
  return [...out];
}

/** Whether the claims name `user`, and the identity they prove; the reason a person reads when not. */
export function identityOf(claims: Claims, issuer: string, user: string, rules: ClaimRules): { ok: true; identity: IdpIdentity } | { ok: false; why: string } {
  const sub = claims.sub;
  if (typeof sub !== 'string' || !sub) return { ok: false, why: 'the IdP sent no subject' };
  const named = claims[rules.userClaim];
  if (typeof named !== 'string') return { ok: false, why: `the IdP sent no '${rules.userClaim}' claim` };
  if (named !== user) return { ok: false, why: `approved by '${named}' at the IdP, not by '${user}'` };
  const groups = claimGroups(claims, rules.groupsClaim);
  return { ok: true, identity: { issuer, sub, groups, policyGroups: policyGroups(groups, rules.groupMap) } };
}

/** A console login: the user claim names the console user (there is no SSH key to match); why not, when it cannot. */
export function consoleIdentityOf(claims: Claims, issuer: string, rules: ClaimRules): { ok: true; name: string; identity: IdpIdentity } | { ok: false; why: string } {
  const named = claims[rules.userClaim];
  if (typeof named !== 'string' || !named || named.length > 128) return { ok: false, why: `the IdP sent no usable '${rules.userClaim}' claim` };
  const id = identityOf(claims, issuer, named, rules);
  return id.ok ? { ok: true, name: named, identity: id.identity } : id;
}
