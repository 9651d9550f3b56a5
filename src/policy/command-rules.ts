// What the policy says about a command, a shell line, a file transfer or a tunnel inside an allowed session. Pure:
// the relay asks before it passes the thing on, and writes a CommandMatched event for every rule that matched.
// An explicit deny (or terminate) wins over everything; an exec allow-list in scope refuses what it does not list.
import { posix } from 'node:path';
import type { CommandRule, FileRule, RuleContext, Scope, TunnelRule } from './command-types.js';
import { glob, targetMatches } from './engine.js';
import { compilePattern, MAX_COMMAND, type Matcher } from './patterns.js';
import type { PolicyDocument } from './types.js';

/** One rule that matched: what the audit event and the user are told. */
export interface Matched {
  rule: string;
  action: string;
  reason: string;
}

export type ExecVerdict = { run: true; matched: Matched[] } | { run: false; refusal: Matched; matched: Matched[] };
export type LineVerdict =
  | { action: 'pass'; matched: Matched[] }
  | { action: 'terminate'; refusal: Matched; matched: Matched[] }
  | { action: 'hold'; hold: Matched; approvers: string[]; timeoutSec: number; matched: Matched[] };
export type TransferVerdict = { allow: true; matched: Matched[] } | { allow: false; refusal: Matched; matched: Matched[] };

/** How long a held line waits for an approver when the rule does not say. */
export const DEFAULT_HOLD_SEC = 120;

const compiled = new WeakMap<CommandRule, Matcher>();
function matcherOf(rule: CommandRule): Matcher {
  let m = compiled.get(rule);
  if (!m) compiled.set(rule, (m = compilePattern(rule.match)));
  return m;
}

export function inScope(rule: Scope, ctx: RuleContext): boolean {
  const who = (!rule.users && !rule.groups) || Boolean(rule.users?.some((u) => u === '*' || u === ctx.user) || rule.groups?.some((g) => ctx.groups.includes(g)));
  return who && targetMatches(rule, ctx.target, ctx.labels) && (!rule.logins || rule.logins.some((l) => l === '*' || l === ctx.login));
}

const DEFAULT_REASON: Record<string, string> = {
  deny: 'this command is not allowed here',
  terminate: 'this command is not allowed here',
  hold: 'this command needs an approver',
  alert: 'reported to the security team',
  allow: 'allowed',
};
const told = (rule: { name: string; action: string; reason?: string }): Matched => ({ rule: rule.name, action: rule.action, reason: rule.reason ?? DEFAULT_REASON[rule.action]! });

function matching(doc: PolicyDocument, ctx: RuleContext, on: 'exec' | 'shell', command: string): CommandRule[] {
  const text = command.length > MAX_COMMAND ? command.slice(0, MAX_COMMAND) : command;
  return (doc.commands ?? []).filter((r) => r.on === on && inScope(r, ctx) && matcherOf(r)(text));
}

/** An exec channel's command, before it runs. */
export function decideExec(doc: PolicyDocument, ctx: RuleContext, command: string): ExecVerdict {
  const hits = matching(doc, ctx, 'exec', command);
  const matched = hits.map(told);
  const deny = hits.find((r) => r.action === 'deny');
  if (deny) return { run: false, refusal: told(deny), matched };
  const lists = (doc.commands ?? []).filter((r) => r.on === 'exec' && r.action === 'allow' && inScope(r, ctx));
  if (lists.length > 0 && !hits.some((r) => r.action === 'allow')) {
    const names = lists.map((r) => `'${r.name}'`).join(', ');
    const refusal = { rule: lists[0]!.name, action: 'deny', reason: `only the commands of the allow-list ${names} may run as ${ctx.login} on ${ctx.target}` };
    return { run: false, refusal, matched: [...matched, refusal] };
  }
  return { run: true, matched };
}

/** A line submitted at an interactive shell, as the screen shows it, before its Enter is passed on. */
export function decideLine(doc: PolicyDocument, ctx: RuleContext, line: string): LineVerdict {
  const hits = matching(doc, ctx, 'shell', line);
  const matched = hits.map(told);
  const end = hits.find((r) => r.action === 'terminate');
  if (end) return { action: 'terminate', refusal: told(end), matched };
  const hold = hits.find((r) => r.action === 'hold');
  if (hold && hold.on === 'shell') return { action: 'hold', hold: told(hold), approvers: hold.approvers ?? [], timeoutSec: hold.timeout ?? DEFAULT_HOLD_SEC, matched };
  return { action: 'pass', matched };
}

function transfer<R extends FileRule | TunnelRule>(rules: R[], fits: (r: R) => boolean): TransferVerdict {
  const hits = rules.filter(fits);
  const matched = hits.map(told);
  const deny = hits.find((r) => r.action === 'deny');
  return deny ? { allow: false, refusal: told(deny), matched } : { allow: true, matched };
}

/**
 * A file opened for upload or download. A rule with `minSize` is about a transfer whose size is known: asked before
 * (scp announces it) or again when the file is closed, where it can only alert.
 */
export function decideFile(doc: PolicyDocument, ctx: RuleContext, file: { path: string; direction: 'upload' | 'download'; size?: number }): TransferVerdict {
  const path = transferPath(file.path);
  const rules = (doc.files ?? []).filter((r) => inScope(r, ctx) && (!r.direction || r.direction === file.direction));
  if (path === undefined) {
    // Above the home directory, which the bastion does not know: no path rule can be checked, so a deny refuses it.
    const deny = rules.find((r) => r.action === 'deny' && r.paths);
    if (deny) {
      const refusal = { rule: deny.name, action: 'deny', reason: 'a relative path above the home directory cannot be checked against the file rules; use an absolute path' };
      return { allow: false, refusal, matched: [refusal] };
    }
  }
  return transfer(rules, (r) =>
    (!r.paths || (path !== undefined && r.paths.some((p) => glob(p, path)))) &&
    (r.minSize === undefined || (file.size !== undefined && file.size >= r.minSize)),
  );
}

/**
 * The path a file rule sees: `//`, `.` and `..` resolved (so `/etc//./shadow` is `/etc/shadow`), and a relative path,
 * which the target resolves from the login's home directory, as `~/PATH` (so a glob starting with `*` sees
 * `.ssh/id_ed25519` as `~/.ssh/id_ed25519`). Undefined for a relative path that climbs above the home directory.
 */
export function transferPath(path: string): string | undefined {
  if (path.startsWith('/')) return posix.normalize(path);
  const rel = posix.normalize(path);
  if (rel === '..' || rel.startsWith('../')) return undefined;
  return rel === '.' ? '~' : `~/${rel.replace(/\/$/, '')}`;
}

/** A port forward, before it is opened. */
export function decideTunnel(doc: PolicyDocument, ctx: RuleContext, tunnel: { kind: 'local-forward' | 'remote-forward'; host: string; port: number }): TransferVerdict {
  const dest = `${tunnel.host}:${tunnel.port}`;
  return transfer(doc.tunnels ?? [], (r) => inScope(r, ctx) && (!r.kind || r.kind === tunnel.kind) && (!r.destinations || r.destinations.some((d) => glob(d, dest))));
}
