// The console role an IdP user gets from their groups (web.sso.roles): admin wins over auditor; none of them, no entry.
import type { WebRole } from '../store/store.js';

export interface SsoRoles {
  admin: string[];
  auditor: string[];
}

export function ssoRole(groups: readonly string[], roles: SsoRoles): WebRole | undefined {
  if (roles.admin.some((g) => groups.includes(g))) return 'admin';
  if (roles.auditor.some((g) => groups.includes(g))) return 'auditor';
  return undefined;
}
