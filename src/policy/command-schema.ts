// The policy file's `commands`, `files` and `tunnels` sections, validated with zod; a pattern that does not compile is
// refused at its own line, so a broken rule never reaches a session.
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { compilePattern } from './patterns.js';

const name = z.string().regex(/^[a-z][-a-z0-9_.]{0,63}$/, 'a lowercase name (letters, digits, -, _, .)');
const scope = {
  users: z.array(z.union([name, z.literal('*')])).min(1).optional(),
  groups: z.array(name).min(1).optional(),
  targets: z.array(z.string().min(1)).min(1).optional(),
  logins: z.array(z.string().min(1)).min(1).optional(),
  reason: z.string().min(1).max(500).optional(),
};

const pattern = z
  .object({
    exact: z.string().min(1).max(4096).optional(),
    glob: z.string().min(1).max(4096).optional(),
    regex: z.string().min(1).max(4096).optional(),
    program: z.array(z.string().min(1).max(256)).min(1).optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    try {
      compilePattern(p);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

export const commandRule = z
  .discriminatedUnion('on', [
    z.object({ name, on: z.literal('exec'), match: pattern, action: z.enum(['allow', 'deny', 'alert']), ...scope }).strict(),
    z.object({ name, on: z.literal('shell'), match: pattern, action: z.enum(['alert', 'terminate', 'hold']), approvers: z.array(name).min(1).optional(), timeout: duration.optional(), ...scope }).strict(),
  ])
  .refine((r) => r.on !== 'shell' || r.action !== 'hold' || r.approvers, { message: "'action: hold' needs approvers (groups)", path: ['approvers'] });

export const fileRule = z
  .object({
    name,
    paths: z.array(z.string().min(1)).min(1).optional(),
    direction: z.enum(['upload', 'download']).optional(),
    minSize: z.number().int().nonnegative().optional(),
    action: z.enum(['deny', 'alert']),
    ...scope,
  })
  .strict();

export const tunnelRule = z
  .object({
    name,
    destinations: z.array(z.string().regex(/^[^\s:]+:[0-9*]+$/, 'host:port, either may be a * glob')).min(1).optional(),
    kind: z.enum(['local-forward', 'remote-forward']).optional(),
    action: z.enum(['deny', 'alert']),
    ...scope,
  })
  .strict();
