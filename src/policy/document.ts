// The policy file format (YAML, kept in version control and applied with `fumidai apply -f`), validated with zod.
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { parseYaml, type YamlProblem } from '../config/yaml-validate.js';
import { commandRule, fileRule, tunnelRule } from './command-schema.js';
import { ACTIONS, DAYS, EMPTY_POLICY, type PolicyDocument } from './types.js';

const name = z.string().regex(/^[a-z][-a-z0-9_.]{0,63}$/, 'a lowercase name (letters, digits, -, _, .)');
const cidr = z.string().refine((c) => {
  const [addr, bits, extra] = c.split('/');
  if (extra !== undefined || !addr || !isIP(addr)) return false;
  if (bits === undefined) return true;
  const max = isIP(addr) === 4 ? 32 : 128;
  return /^\d+$/.test(bits) && Number(bits) <= max;
}, 'an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32');
const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone, e.g. Europe/Paris');

const rule = z
  .object({
    name,
    effect: z.enum(['allow', 'deny']),
    users: z.array(z.union([name, z.literal('*')])).min(1).optional(),
    groups: z.array(name).min(1).optional(),
    targets: z.array(z.string().min(1)).min(1).optional(),
    logins: z.array(z.string().min(1)).min(1).optional(),
    actions: z.array(z.enum(ACTIONS)).min(1).optional(),
    from: z.array(cidr).min(1).optional(),
    time: z
      .object({
        days: z.array(z.enum(DAYS)).min(1).optional(),
        hours: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'HH:MM-HH:MM, e.g. 08:00-18:00').optional(),
        timezone: timezone.optional(),
      })
      .strict()
      .optional(),
    mfa: z.boolean().optional(),
    waiveWithCertificate: z.union([z.boolean(), z.literal('any-trusted-ca')]).optional(),
    idleTimeout: z.number().int().positive().optional(),
    maxSessionLength: z.number().int().positive().optional(),
    requires: z.literal('approval').optional(),
    approvers: z.array(name).min(1).optional(),
    approvals: z.number().int().positive().max(10).optional(),
    maxDuration: duration.optional(),
  })
  .strict()
  .refine((r) => !r.requires || (r.effect === 'allow' && r.approvers), { message: "'requires: approval' is for an allow rule and needs approvers", path: ['requires'] })
  .refine((r) => r.waiveWithCertificate === undefined || (r.effect === 'allow' && r.mfa === true), { message: "'waiveWithCertificate' is for an allow rule with 'mfa: true'", path: ['waiveWithCertificate'] })
  .refine((r) => r.users || r.groups, { message: 'a rule needs users or groups', path: ['users'] });

export const policySchema = z
  .object({
    groups: z.record(name, z.array(name)).default({}),
    targets: z.record(z.string(), z.record(z.string(), z.string())).default({}),
    rules: z.array(rule).default([]),
    mfa: z.object({ waiveWithCertificate: z.union([z.boolean(), z.literal('any-trusted-ca')]).optional() }).strict().optional(),
    commands: z.array(commandRule).optional(),
    files: z.array(fileRule).optional(),
    tunnels: z.array(tunnelRule).optional(),
  })
  .strict()
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    const groupsKnown = (section: 'commands' | 'files' | 'tunnels') =>
      (doc[section] ?? []).forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `rule name '${r.name}' is used twice`, path: [section, i, 'name'] });
        seen.add(r.name);
        for (const g of [...(r.groups ?? []), ...('approvers' in r ? (r.approvers ?? []) : [])])
          if (!(g in doc.groups)) ctx.addIssue({ code: 'custom', message: `group '${g}' is not defined under groups`, path: [section, i, 'groups'] });
      });
    groupsKnown('commands');
    groupsKnown('files');
    groupsKnown('tunnels');
    doc.rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', message: `rule name '${r.name}' is used twice`, path: ['rules', i, 'name'] });
      seen.add(r.name);
      for (const g of r.groups ?? [])
        if (!(g in doc.groups)) ctx.addIssue({ code: 'custom', message: `group '${g}' is not defined under groups`, path: ['rules', i, 'groups'] });
      for (const g of r.approvers ?? [])
        if (!(g in doc.groups)) ctx.addIssue({ code: 'custom', message: `approvers group '${g}' is not defined under groups`, path: ['rules', i, 'approvers'] });
    });
  });

export function parsePolicy(text: string): { ok: true; policy: PolicyDocument } | { ok: false; problem: YamlProblem } {
  const parsed = parseYaml(text, policySchema);
  return parsed.ok ? { ok: true, policy: parsed.value as PolicyDocument } : parsed;
}

/** The stored document, or the empty policy (grants only) when none was applied. */
export function policyOrEmpty(text: string | undefined): PolicyDocument {
  if (!text) return EMPTY_POLICY;
  const parsed = parsePolicy(text);
  if (!parsed.ok) throw new Error(`stored policy is invalid: ${parsed.problem.where}: ${parsed.problem.message}`);
  return parsed.policy;
}
