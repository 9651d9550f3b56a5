// What a console admin may change: end a live session (the `sessions kill` path: the node running it ends it and its
// user sees the reason) and lock or unlock an SSH user (the `user disable`/`enable` path: the live re-check ends the
// user's sessions). The audit event is written before the change, as `adminChange` does for the CLI: a change the trail
// cannot hold is not made; one recorded but not applied gets a second event with result failure.
import type { AuditTrail } from '../audit/trail.js';
import { auditUnavailable } from '../audit/trail.js';
import type { EventDetails, EventFields } from '../audit/events.js';
import type { Directory, SessionIndex } from '../store/store.js';

export interface ActionDeps {
  index: Pick<SessionIndex, 'getSession' | 'requestTermination'>;
  users: Pick<Directory, 'getUser' | 'setUserDisabled'>;
  audit: Pick<AuditTrail, 'record'>;
  /** This process changed the store: its own writes do not move SQLite's change token, so the live re-check is told. */
  storeChanged: () => void;
}

export type Operator = { name: string; ip: string };
export type Outcome = { ok: true; message: string } | { ok: false; status: number; error: string };

const MAX_REASON = 300;

/**
 * A reason as typed, trimmed; an error when it is missing (and required), too long, or holds control characters: it
 * is written to the user's terminal, where an escape sequence would be obeyed.
 */
export function checkReason(raw: unknown, required: boolean): { reason: string } | { error: string } {
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (!reason) return required ? { error: 'a reason is required' } : { reason: '' };
  if (reason.length > MAX_REASON) return { error: `the reason is longer than ${MAX_REASON} characters` };
  if (/[\u0000-\u001f\u007f-\u009f]/.test(reason)) return { error: 'the reason may not hold control characters' };
  return { reason };
}

const refused = (status: number, error: string): Outcome => ({ ok: false, status, error });

export async function terminateSession(d: ActionDeps, op: Operator, auditKey: string, rawReason: unknown): Promise<Outcome> {
  const r = checkReason(rawReason, true);
  if ('error' in r) return refused(400, r.error);
  const session = await d.index.getSession(auditKey);
  if (!session) return refused(404, 'no such session');
  if (session.state !== 'live') return refused(409, `the session is not live (${session.state})`);
  const details = { auditKey, sessionUser: session.user };
  return recorded(d, 'SessionTerminated', op, details, r.reason, async () => {
    if (!(await d.index.requestTermination(auditKey, r.reason))) return 'the session ended meanwhile';
    return undefined;
  }, `asked the bastion to end ${auditKey}`);
}

export async function setUserLocked(d: ActionDeps, op: Operator, sshUser: string, locked: boolean, rawReason: unknown): Promise<Outcome> {
  const r = checkReason(rawReason, locked);
  if ('error' in r) return refused(400, r.error);
  if (!(await d.users.getUser(sshUser))) return refused(404, 'no such user');
  return recorded(d, locked ? 'UserLockedByConsole' : 'UserUnlockedByConsole', op, { sshUser }, r.reason, async () => {
    if (!(await d.users.setUserDisabled(sshUser, locked))) return 'the user was removed meanwhile';
    return undefined;
  }, locked ? `locked ${sshUser}: their live sessions end` : `unlocked ${sshUser}`);
}

/** The event, then the change (which returns why it did not apply, if it did not), then the live re-check's nudge. */
async function recorded<N extends 'SessionTerminated' | 'UserLockedByConsole' | 'UserUnlockedByConsole'>(
  d: ActionDeps,
  event: N,
  op: Operator,
  details: EventDetails[N],
  reason: string,
  apply: () => Promise<string | undefined>,
  done: string,
): Promise<Outcome> {
  const ctx = { user: op.name, sourceIp: op.ip };
  const record = (extra: { result?: 'failure'; error?: string } = {}) =>
    d.audit.record(event, ctx, { ...details, ...extra, ...(reason ? { reason } : {}) } as EventFields<N>);
  try {
    await record();
  } catch (err) {
    return refused(503, auditUnavailable(err).line);
  }
  let error: string | undefined;
  try {
    error = await apply();
  } catch (err) {
    error = (err as Error).message;
  }
  if (error) {
    await record({ result: 'failure', error }).catch(() => undefined);
    return refused(409, error);
  }
  d.storeChanged();
  return { ok: true, message: done };
}
