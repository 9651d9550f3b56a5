// Commands fumidai answers itself on a session without a target (`ssh alice@bastion cert`), instead of relaying
// them: each is a word and its arguments; anything else is not one, and goes on to the usual "no target" refusal.
import { userLine } from '../errors.js';
import type { CertificateIssuer } from '../auth/cert-issue.js';
import type { BastionReply } from '../relay/session-channel.js';
import type { Session } from '../session/session.js';

export function bastionCommands(issuer: CertificateIssuer | undefined): (command: string, session: Session) => Promise<BastionReply | undefined> {
  return async (command, session) => {
    const [word, ...args] = command.trim().split(/\s+/);
    if (word !== 'cert' || !issuer) return undefined;
    try {
      return { stdout: `${await issuer.issue(session.caller, args)}\n`, status: 0 };
    } catch (err) {
      session.log.info({ reason: userLine(err) }, 'certificate not issued');
      return { stdout: '', stderr: userLine(err), status: 1 };
    }
  };
}
