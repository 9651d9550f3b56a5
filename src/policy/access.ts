// Pure access decision for the gateway: no I/O, everything it needs is passed in.
// Deny by default; the reason is shown to the user and recorded.

export interface AccessRequest {
  user: string;
  userDisabled: boolean;
  target: string;
  login: string;
  grants: readonly { target: string; login: string }[];
}

export type Decision = { allow: true; reason: string } | { allow: false; reason: string };

export function decideAccess(req: AccessRequest): Decision {
  if (req.userDisabled) return { allow: false, reason: `user '${req.user}' is disabled` };
  const grant = req.grants.find((g) => g.target === req.target && (g.login === req.login || g.login === '*'));
  if (grant) return { allow: true, reason: `granted ${req.user} -> ${grant.login}@${grant.target}` };
  const onTarget = req.grants.some((g) => g.target === req.target);
  return {
    allow: false,
    reason: onTarget
      ? `user '${req.user}' may not log in as '${req.login}' on '${req.target}'`
      : `user '${req.user}' has no access to '${req.target}'`,
  };
}

/** The targets (with logins) a user may reach, for the menu. */
export function reachable(grants: readonly { target: string; login: string }[]): Map<string, string[]> {
  const byTarget = new Map<string, string[]>();
  for (const g of grants) byTarget.set(g.target, [...(byTarget.get(g.target) ?? []), g.login]);
  return byTarget;
}
