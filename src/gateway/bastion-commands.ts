// Commands fumidai answers itself on a session without a target (`ssh alice@bastion cert`, `request`, `requests`,
// `approve`, `deny`), instead of relaying them: each is a word and its arguments; anything else is not one, and goes
// on to the usual "no target" refusal.
import { fail, userLine } from '../errors.js';
import type { CertificateIssuer } from '../auth/cert-issue.js';
import type { RequestDesk } from '../auth/access-requests.js';
import type { HoldDesk } from '../auth/line-holds.js';
import { parseApproveArgs, parseDenyArgs, parseId, words } from '../auth/request-args.js';
import type { BastionReply } from '../relay/session-channel.js';
import type { Session } from '../session/session.js';

type Answer = (args: string[], session: Session) => Promise<string>;

export function bastionCommands(issuer: CertificateIssuer | undefined, desk?: RequestDesk, holds?: HoldDesk): (command: string, session: Session) => Promise<BastionReply | undefined> {
  const answers = new Map<string, Answer>();
  if (holds) holdCommands(answers, holds);
  if (issuer) answers.set('cert', (args, s) => issuer.issue(s.caller, args));
  if (desk) {
    const ctx = (s: Session) => ({ user: s.caller.user, sourceIp: s.caller.sourceIp, sourcePort: s.caller.sourcePort });
    /** An approver decides over SSH only after a login with their key and second factor. */
    const decider = (s: Session, id: number) => {
      if (!s.caller.mfa || s.caller.certificate) throw fail('APPROVAL_REFUSED', id, 'deciding over SSH needs a login with your key and second factor (TOTP)');
      return { name: s.caller.user, via: 'ssh' as const, ctx: ctx(s) };
    };
    answers.set('request', (args, s) => desk.request(ctx(s), args));
    answers.set('requests', async (args, s) => {
      if (args.length) throw fail('ARGUMENT_INVALID', 'usage: requests');
      return desk.list(s.caller.user);
    });
    answers.set('approve', async (args, s) => {
      const a = parseApproveArgs(args);
      if (!a.ok) throw fail('ARGUMENT_INVALID', a.why);
      return desk.approve(a.value.id, decider(s, a.value.id));
    });
    answers.set('deny', async (args, s) => {
      const a = parseDenyArgs(args);
      if (!a.ok) throw fail('ARGUMENT_INVALID', a.why);
      return desk.deny(a.value.id, decider(s, a.value.id), a.value.reason);
    });
  }
  return async (command, session) => {
    const split = words(command);
    if (!split.ok || !split.value.length) return undefined;
    const [word, ...args] = split.value;
    const answer = answers.get(word!);
    if (!answer) return undefined;
    try {
      return { stdout: `${await answer(args, session)}\n`, status: 0 };
    } catch (err) {
      session.log.info({ command: word, reason: userLine(err) }, 'bastion command refused');
      return { stdout: '', stderr: userLine(err), status: 1 };
    }
  };
}

/** `holds`, `allow ID`, `refuse ID [reason]`: shell lines held for an approver. */
function holdCommands(answers: Map<string, Answer>, holds: HoldDesk): void {
  /** As for access requests: an approver decides over SSH only after a login with their key and second factor. */
  const decider = (s: Session, id: number) => {
    if (!s.caller.mfa || s.caller.certificate) throw fail('HOLD_NOT_DECIDED', id, 'deciding over SSH needs a login with your key and second factor (TOTP)');
    return { name: s.caller.user, via: 'ssh' as const, ctx: { user: s.caller.user, sourceIp: s.caller.sourceIp, sourcePort: s.caller.sourcePort } };
  };
  const idOf = (text: string | undefined, usage: string) => {
    const id = parseId(text);
    if (id === undefined) throw fail('ARGUMENT_INVALID', usage);
    return id;
  };
  answers.set('holds', async (args, s) => {
    if (args.length) throw fail('ARGUMENT_INVALID', 'usage: holds');
    return holds.list(s.caller.user);
  });
  answers.set('allow', async (args, s) => {
    if (args.length !== 1) throw fail('ARGUMENT_INVALID', 'usage: allow ID');
    const id = idOf(args[0], 'usage: allow ID');
    return holds.allow(id, decider(s, id));
  });
  answers.set('refuse', async ([text, ...why], s) => {
    const id = idOf(text, 'usage: refuse ID [reason]');
    return holds.refuse(id, decider(s, id), why.join(' ').trim() || 'refused by an approver');
  });
}
