// A policy that names what does not exist is valid but almost always a typo (`env=prdo` matches no target, so its
// rule never applies). These are warnings, not errors: a policy may be applied before the targets it names are added.
import { glob } from './engine.js';
import type { PolicyDocument } from './types.js';

export interface PolicyWarning {
  /** Path of the field in the document, e.g. ['rules', 2, 'targets', 0]. */
  path: (string | number)[];
  message: string;
}

export interface KnownNames {
  users: readonly string[];
  targets: readonly string[];
}

export function policyWarnings(doc: PolicyDocument, known: KnownNames): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const users = new Set(known.users);
  const labelled = Object.entries(doc.targets).filter(([name]) => known.targets.includes(name));
  for (const [group, members] of Object.entries(doc.groups))
    members.forEach((m, i) => users.has(m) || warnings.push({ path: ['groups', group, i], message: `user '${m}' does not exist` }));
  for (const name of Object.keys(doc.targets))
    if (!known.targets.includes(name)) warnings.push({ path: ['targets', name], message: `target '${name}' does not exist: its labels label nothing` });
  doc.rules.forEach((rule, r) => {
    rule.users?.forEach((u, i) => u === '*' || users.has(u) || warnings.push({ path: ['rules', r, 'users', i], message: `user '${u}' does not exist` }));
    rule.targets?.forEach((t, i) => {
      const eq = t.indexOf('=');
      const matches = eq > 0 ? labelled.some(([, labels]) => labels[t.slice(0, eq)] === t.slice(eq + 1)) : known.targets.some((name) => glob(t, name));
      if (!matches) warnings.push({ path: ['rules', r, 'targets', i], message: `'${t}' matches no target${eq > 0 ? ' (no target has that label under targets:)' : ''}: rule '${rule.name}' never applies there` });
    });
    // Valid, but the waiver then covers every target the rule's people reach: almost never what was meant.
    if (rule.waiveWithCertificate && !rule.targets) warnings.push({ path: ['rules', r, 'waiveWithCertificate'], message: `rule '${rule.name}' names no targets: a certificate stands in for the second factor on every target` });
  });
  return warnings;
}
