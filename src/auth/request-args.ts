// The words of the access request commands (`ssh alice@bastion request db1 --login postgres --for 2h --reason
// "INC-1234"`, `approve 7`, `deny 7 --reason ...`), parsed strictly: an unknown option, a missing value, a bad
// duration or an empty reason is refused with the usage line. ssh joins its arguments with spaces and drops one level
// of quotes, so the words after --reason up to the next option are the reason.
import { duration } from '../config/schema.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

export interface RequestArgs {
  target: string;
  login?: string;
  forSec: number;
  reason: string;
}

export const REQUEST_USAGE = 'usage: request TARGET [--login LOGIN] --for DURATION --reason WHY (e.g. --for 2h --reason "INC-1234")';
export const DENY_USAGE = 'usage: deny ID --reason WHY';
const MAX_REASON = 300;

/** Words with single or double quotes kept together (quotes a user passed through ssh's own splitting). */
export function words(line: string): Parsed<string[]> {
  const out: string[] = [];
  let current: string | undefined;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      current ??= '';
    } else if (/\s/.test(ch)) {
      if (current !== undefined) out.push(current);
      current = undefined;
    } else current = (current ?? '') + ch;
  }
  if (quote) return { ok: false, why: 'unbalanced quotes' };
  if (current !== undefined) out.push(current);
  return { ok: true, value: out };
}

/** Splits `--opt value...` pairs; the reason takes every word up to the next option. */
function options(args: string[], known: readonly string[], usage: string): Parsed<{ positional: string[]; opts: Map<string, string> }> {
  const positional: string[] = [];
  const opts = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    if (!known.includes(a)) return { ok: false, why: `unknown option ${a}; ${usage}` };
    if (opts.has(a)) return { ok: false, why: `${a} given twice; ${usage}` };
    const values: string[] = [];
    while (i + 1 < args.length && !args[i + 1]!.startsWith('--') && (a === '--reason' || values.length === 0)) values.push(args[++i]!);
    if (!values.length) return { ok: false, why: `${a} needs a value; ${usage}` };
    opts.set(a, values.join(' '));
  }
  return { ok: true, value: { positional, opts } };
}

function reasonOf(text: string | undefined, usage: string): Parsed<string> {
  const reason = (text ?? '').trim();
  if (!reason) return { ok: false, why: `a reason is required; ${usage}` };
  if (reason.length > MAX_REASON) return { ok: false, why: `the reason is longer than ${MAX_REASON} characters` };
  if (/[\p{Cc}\p{Cf}]/u.test(reason)) return { ok: false, why: 'the reason may not hold control characters' };
  return { ok: true, value: reason };
}

export function parseRequestArgs(args: string[]): Parsed<RequestArgs> {
  const o = options(args, ['--login', '--for', '--reason'], REQUEST_USAGE);
  if (!o.ok) return o;
  const { positional, opts } = o.value;
  if (positional.length !== 1) return { ok: false, why: REQUEST_USAGE };
  const forText = opts.get('--for');
  if (forText === undefined) return { ok: false, why: `--for is required; ${REQUEST_USAGE}` };
  const d = duration.safeParse(forText);
  if (!d.success) return { ok: false, why: `--for takes a duration such as 30m, 2h or 1d, not '${forText}'` };
  const reason = reasonOf(opts.get('--reason'), REQUEST_USAGE);
  if (!reason.ok) return reason;
  const login = opts.get('--login');
  return { ok: true, value: { target: positional[0]!, ...(login !== undefined ? { login } : {}), forSec: d.data, reason: reason.value } };
}

/** A request id as typed: digits only. */
export function parseId(text: string | undefined): number | undefined {
  return text !== undefined && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
}

export function parseApproveArgs(args: string[]): Parsed<{ id: number }> {
  const id = parseId(args[0]);
  return args.length === 1 && id !== undefined ? { ok: true, value: { id } } : { ok: false, why: 'usage: approve ID' };
}

export function parseDenyArgs(args: string[]): Parsed<{ id: number; reason: string }> {
  const o = options(args, ['--reason'], DENY_USAGE);
  if (!o.ok) return o;
  const id = parseId(o.value.positional[0]);
  if (o.value.positional.length !== 1 || id === undefined) return { ok: false, why: DENY_USAGE };
  const reason = reasonOf(o.value.opts.get('--reason'), DENY_USAGE);
  return reason.ok ? { ok: true, value: { id, reason: reason.value } } : reason;
}
