// What the front door uses, built once by the composition root (`fumidai serve`). Sessions get their own narrower
// SessionDeps, logins their LoginDeps: nothing below the gateway sees this.
import type { Logger } from 'pino';
import type { LoginDeps } from '../auth/login.js';
import type { RequestDesk } from '../auth/access-requests.js';
import type { HoldDesk } from '../auth/line-holds.js';
import type { ShellRules } from '../session/shell-rules.js';
import type { CertificateIssuer } from '../auth/cert-issue.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Config } from '../config/schema.js';
import type { HostCertificates } from '../identity/host-certs.js';
import type { Access } from '../policy/access.js';
import type { LiveSessions } from '../session/live-sessions.js';
import type { SessionDeps } from '../session/session.js';
import type { AuthState, Directory } from '../store/store.js';

export interface GatewayDeps {
  config: Pick<Config, 'auth' | 'ssh' | 'relay'>;
  log: Logger;
  hostKeys: Buffer[];
  /** With certs.hostCertificates on: the host keys with certificates, per target and for the bastion's names. */
  hostCerts?: Pick<HostCertificates, 'forTarget' | 'forBastion'>;
  audit: AuditTrail;
  /** Targets (for ProxyJump) and bans adopted from other nodes. */
  store: Pick<Directory, 'getTarget'> & Pick<AuthState, 'sourceBans'>;
  login: LoginDeps;
  access: Access;
  live: LiveSessions;
  sessions: SessionDeps;
  /** Signs certificates for `ssh USER@bastion cert`. */
  issuer?: CertificateIssuer;
  /** Access requests: `ssh USER@bastion request|requests|approve|deny`. */
  desk?: RequestDesk;
  /** Held shell lines: `ssh USER@bastion holds|allow|refuse`. */
  holds?: HoldDesk;
  /** The policy's `on: shell` rules, decided on each line submitted at a terminal. */
  shellRules?: ShellRules;
}
