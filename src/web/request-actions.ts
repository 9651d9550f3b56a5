// Access requests from the console: a session signed in through the IdP acts as the fumidai user of the same name
// (who must exist and not be disabled), with the rules and events of `ssh USER@bastion request|approve|deny` (the
// RequestDesk decides); a password console account, linked to no SSH user, only reads.
import { FumidaiError } from '../errors.js';
import type { Decider, RequestDesk } from '../auth/access-requests.js';
import type { AccessRequestRecord, AccessRequests, Directory } from '../store/store.js';
import type { ConsoleSession } from './console-sessions.js';

export interface RequestDeps {
  desk: Pick<RequestDesk, 'request' | 'approve' | 'deny'>;
  store: Pick<AccessRequests, 'listAccessRequests' | 'accessRequest'> & Pick<Directory, 'getUser'>;
  /** The key of the signed links the request webhook sends (absent: links are refused). */
  linkKey?: Buffer;
}

export type Outcome = { ok: true; message: string; id?: number } | { ok: false; status: number; error: string };

/** What a request form or JSON body holds. */
export interface FileForm {
  target?: unknown;
  login?: unknown;
  for?: unknown;
  reason?: unknown;
}

const text = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

/** The SSH user this console session acts as, or why it may only read. */
export async function actingUser(users: Pick<Directory, 'getUser'>, s: ConsoleSession | undefined): Promise<{ ok: true; name: string } | { ok: false; status: number; error: string }> {
  if (s?.via !== 'sso') return { ok: false, status: 403, error: 'only a console session signed in through single sign-on acts as an SSH user; this one reads only' };
  const user = await users.getUser(s.name);
  if (!user) return { ok: false, status: 403, error: `'${s.name}' is not a fumidai user` };
  if (user.disabled) return { ok: false, status: 403, error: `the fumidai user '${s.name}' is disabled` };
  return { ok: true, name: s.name };
}

/** A refusal of the desk (its event written) as the answer's status and line; anything else goes on up. */
function refusal(err: unknown): Outcome {
  if (!(err instanceof FumidaiError)) throw err;
  const status = err.code === 'REQUEST_UNKNOWN' ? 404 : err.code === 'AUDIT_UNAVAILABLE' ? 503 : 403;
  return { ok: false, status, error: err.message };
}

export async function fileRequest(deps: RequestDeps, s: ConsoleSession | undefined, sourceIp: string, f: FileForm): Promise<Outcome> {
  const who = await actingUser(deps.store, s);
  if (!who.ok) return who;
  const login = text(f.login, 64);
  // The same words `ssh USER@bastion request` parses: the same checks, the same usage line when one is wrong.
  const args = [text(f.target, 128), ...(login ? ['--login', login] : []), '--for', text(f.for, 16), '--reason', text(f.reason, 400)];
  try {
    const message = await deps.desk.request({ user: who.name, sourceIp }, args);
    return { ok: true, message, ...idOf(message) };
  } catch (err) {
    return refusal(err);
  }
}

const idOf = (message: string): { id?: number } => {
  const m = /^access request #(\d+)/.exec(message);
  return m ? { id: Number(m[1]) } : {};
};

export async function decide(deps: RequestDeps, s: ConsoleSession | undefined, sourceIp: string, id: number, action: 'approve' | 'deny', reason: unknown): Promise<Outcome> {
  const who = await actingUser(deps.store, s);
  if (!who.ok) return who;
  const by: Decider = { name: who.name, via: 'console', ctx: { sourceIp } };
  try {
    if (action === 'approve') return { ok: true, message: await deps.desk.approve(id, by) };
    const why = text(reason, 300);
    if (!why) return { ok: false, status: 400, error: 'a denial needs a reason' };
    return { ok: true, message: await deps.desk.deny(id, by, why) };
  } catch (err) {
    return refusal(err);
  }
}

/** Pending first, then the newest decided (at most `recent` of them). */
export async function listed(deps: RequestDeps, recent = 50): Promise<AccessRequestRecord[]> {
  const all = await deps.store.listAccessRequests();
  return [...all.filter((r) => r.state === 'pending'), ...all.filter((r) => r.state !== 'pending').slice(0, recent)];
}
