// The vocabulary of access policy. Pure data; engine.ts decides with it.
import type { CommandRule, FileRule, TunnelRule } from './command-types.js';

export const ACTIONS = ['shell', 'exec', 'sftp', 'local-forward', 'remote-forward', 'agent-forward', 'x11'] as const;
export type Action = (typeof ACTIONS)[number];

export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

export interface TimeWindow {
  days?: Day[];
  /** "HH:MM-HH:MM" in the window's time zone; the end is exclusive; may wrap past midnight. */
  hours?: string;
  /** IANA zone, e.g. Europe/Paris; UTC when absent. */
  timezone?: string;
}

export interface Rule {
  name: string;
  effect: 'allow' | 'deny';
  /** Who: user names and/or group names; `*` in users means everyone. */
  users?: string[];
  groups?: string[];
  /** Which targets: names with `*` globs, or label selectors `key=value`. Absent: all. */
  targets?: string[];
  /** Which logins on them; `*` or absent: any. */
  logins?: string[];
  /** Which channel types; absent: shell, exec and sftp for an allow, every action for a deny. */
  actions?: Action[];
  /** Source address allow list (IPv4/IPv6 CIDR); absent: anywhere. */
  from?: string[];
  time?: TimeWindow;
  /** Allow only after a second factor. */
  mfa?: boolean;
  /**
   * With `mfa: true`: a certificate login stands in for the second factor under this rule alone (`true`: fumidai's own
   * CA; 'any-trusted-ca': external CAs' too), e.g. Ansible on `env=staging` but not on `env=prod`.
   */
  waiveWithCertificate?: CertificateWaiver;
  idleTimeout?: number;
  maxSessionLength?: number;
  /** `approval`: the rule gives nothing without an approved access request (just-in-time access). */
  requires?: 'approval';
  /** Groups whose members may approve a request under this rule (never their own). */
  approvers?: string[];
  /** How many approvals a request needs; 1 when absent. */
  approvals?: number;
  /** Longest access a request may ask for, in seconds; 1 h when absent. */
  maxDuration?: number;
}

/** Which certificates stand in for the second factor: `true` fumidai's own CA's; 'any-trusted-ca' any trusted CA's. */
export type CertificateWaiver = boolean | 'any-trusted-ca';

/** An approved access request: a time-bound grant for one target and login. */
export interface ApprovedAccess {
  id: number;
  target: string;
  login: string;
  /** ISO time the access ends. */
  until: string;
}

export interface PolicyDocument {
  groups: Record<string, string[]>;
  /** Labels per target name, for selectors like `env=prod`. */
  targets: Record<string, Record<string, string>>;
  rules: Rule[];
  /**
   * The per-login second factor (TOTP) may be waived for a certificate login: `true` for certificates of fumidai's
   * own CA (issued after a login with the second factor), 'any-trusted-ca' for external CAs' too. Absent: never.
   */
  mfa?: { waiveWithCertificate?: CertificateWaiver };
  /** What may run inside an allowed session (command-rules.ts). */
  commands?: CommandRule[];
  files?: FileRule[];
  tunnels?: TunnelRule[];
}

export interface DecisionInput {
  user: string;
  userDisabled: boolean;
  sourceIp: string;
  target: string;
  login: string;
  action: Action;
  at: Date;
  /** Whether this login gave a second factor. */
  mfa: boolean;
  /** A certificate login: from fumidai's own CA ('own') or another trusted CA ('trusted'). */
  certificate?: 'own' | 'trusted';
  /**
   * The login would have asked for the code but skipped it for the certificate, because some rule waives it: such a
   * login reaches only rules that waive it (every allow rule then asks for the second factor; grants do not apply).
   */
  codeSkipped?: boolean;
  /** Policy groups this login has besides the policy's own (from the IdP's groups claim, auth.oidc.groupMap). */
  groups?: readonly string[];
}

export interface Limits {
  idleTimeoutSec?: number;
  maxSessionSec?: number;
}

export type Decision =
  | { allow: true; reason: string; rule?: string; limits: Limits; request?: number }
  /** needsRequest: the rule that would allow it asks for an approved request first (the user is told how to ask). */
  | { allow: false; reason: string; rule?: string; needsRequest?: string; expired?: ApprovedAccess };

export const EMPTY_POLICY: PolicyDocument = { groups: {}, targets: {}, rules: [] };
