// The audit event catalogue: every event name with its stable code and the shape of its details, side by side (codes
// are never set at emit sites, and a test keeps them unique). Success and failure of one step share a number, as in
// Teleport (I = info, W = warning). An emit with a missing, unknown or mistyped detail does not compile.
import type { Action } from '../policy/types.js';
import type { FileOp } from '../recording/file-ops.js';
import type { Recovered } from '../recording/recovery.js';
import type { IdpIdentity } from '../identity/oidc-claims.js';
import type { SshAlgorithms } from '../ssh/negotiated.js';

/** How an SSH client tried to authenticate (ssh2's names for the methods a server sees). */
type SshAuthMethod = 'none' | 'password' | 'publickey' | 'hostbased' | 'keyboard-interactive';

/**
 * What each event carries in `details`, taken from its emit sites. `reason` and `result` are common to every event
 * and sit beside `details`, not in it (see EventFields). An empty type: the event has no details.
 */
export interface EventDetails {
  ConnectionOpened: { client: string };
  /** Refused at accept (a banned address, too many unauthenticated connections) or closed without a version line. */
  ConnectionRefused: {};
  /**
   * The refusals of one address that were not written one by one (after its first in an interval): how many, per
   * kind, in the last `intervalSec` seconds. Without a source address: addresses beyond those tracked, all together.
   */
  ConnectionsRefused: { count: number; intervalSec: number; reasons: Record<string, number> };
  ConnectionClosed: {};
  /** algorithms: what the key exchange agreed on (absent if the handshake was not seen). */
  /** certificate: the certificate that logged in (method certificate, certificate+totp), its CA's fingerprint. */
  /** idp: the IdP identity that approved a single sign-on login (issuer, subject, its groups and the policy groups they gave). */
  AuthSuccess: {
    method: 'publickey' | 'publickey+totp' | 'certificate' | 'certificate+totp' | 'publickey+oidc' | 'certificate+oidc';
    keyType: string;
    fingerprint: string;
    sshUser: string;
    algorithms?: SshAlgorithms;
    certificate?: CertificateFacts;
    idp?: IdpIdentity;
  };
  /** Only what was known when it failed: nothing for a grace timeout or a ban, the key when one was offered. */
  AuthFailure: { sshUser?: string; method?: SshAuthMethod; fingerprint?: string };
  AuthPartial: { method: 'publickey'; fingerprint: string };
  MfaSuccess: { method: 'totp' };
  MfaFailure: { method?: 'totp' };
  MfaEnrolled: { method: 'totp'; by: string };
  UserLocked: { until: string };
  SourceBanned: {};
  PolicyDenied: { action: Action; rule?: string };
  /** An X11 connection the target opened, refused because the policy changed since the request. */
  ChannelDenied: { channel: 'x11'; origin: string };
  SessionStart: {};
  SessionEnd: { exitStatus?: number; durationSec: number; bytesIn: number; bytesOut: number };
  /** credential: what logged in upstream, the user's forwarded agent or fumidai's own key. */
  /** certKeyId: the key id of the per-session certificate fumidai signed for a target set with --cert-login. */
  TargetConnect: { hostKey: string; credential: 'forwarded agent' | 'fumidai key' | 'fumidai certificate'; certKeyId?: string };
  /** code: the FumidaiError's code; absent when the failure was something else (a store error while pinning). */
  TargetConnectFailure: { code?: string };
  HostKeyPinned: { fingerprint: string };
  /** A session channel (shell, exec with its command, a subsystem), or an X11 connection from the target. */
  ChannelOpen: { channelType: string; command?: string; pty: boolean } | { channelType: 'x11'; origin: string };
  /** The file operation's own result becomes the event's result (and, failed, its reason). */
  FileTransfer: Omit<FileOp, 'result'> & { channel: number };
  /** Local (`-L`, `-W`) names where the target connects to; remote (`-R`) the listener and, per connection, its origin. */
  PortForward: { direction: 'local'; destination: string } | { direction: 'remote'; listen: string; origin?: string };
  IdleTimeout: {};
  MaxSessionLength: {};
  SessionRevoked: {};
  /** The live re-check took back one action of a live session: its channels ended, the session goes on. */
  ChannelRevoked: { action: Action; channels: number };
  RecordingSealed: { channel: number; path: string; sha256: string; bytes: number; fileOpsIncomplete?: string };
  /** channel: absent when the recording failed mid-relay (the relay does not know the channel's number). */
  RecordingFailed: { channel?: number };
  /** Found open at start and repaired by the recovery (sha256 and bytes as sealed), or failed with the reason. */
  RecordingInterrupted: { channel: number; path: string; sha256?: string; bytes?: number; cut?: number; tornPath?: string };
  /**
   * The server's key-bucket sync names the user (target) and the key object; each CLI command adds what it changed.
   * `sessions kill` keeps the operator's reason in details: the event's own reason is the command line.
   */
  AdminChange: {
    target?: string;
    object?: string;
    keys?: string[];
    key?: string;
    host?: string;
    port?: number;
    login?: string;
    forgotHostKey?: string | null;
    allowSha1HostKey?: boolean;
    /** `target add/set --cert-login`: fumidai logs in to the target with per-session certificates. */
    certLogin?: boolean;
    /** `certs revoke`: the serial (of the CA `ca`) or the key id revoked. */
    serial?: number;
    keyId?: string;
    ca?: string;
    grants?: number;
    rules?: string[];
    sessionUser?: string;
    reason?: string;
    /** On the second AdminChange of a CLI change that was recorded but then failed to apply (result failure): why. */
    error?: string;
  };
  KeySyncSkipped: { object: string };
  /** At start, the local trail did not match the newest checkpoint anchored outside the host (one line each). */
  AuditTampered: { chain: string; problems: string[] };
  /** Signed checkpoints waiting for an anchor went past `audit.anchorBacklogAlert` (over), or all went out (cleared). */
  AnchorBacklog: { anchor: string; state: 'over' | 'cleared'; waiting: number; threshold: number; error?: string };
  /** A web console login (user: the console account, not an SSH user); step: where a failure stopped it. */
  WebLogin: { role: string; method: 'password+totp' | 'password+webauthn' | 'password' | 'oidc'; issuer?: string; sub?: string; groups?: string[] };
  WebLoginFailure: { step: 'password' | 'totp' | 'webauthn' | 'locked' | 'sso'; until?: string; issuer?: string; sub?: string; groups?: string[] };
  /** Too many failed console logins from one address (auth.banAfter in auth.banWindow): refused until `until`. */
  WebAddressBanned: { until: string };
  /** A console account added a security key (user: the account); credentialId: base64url. */
  WebAuthnRegistered: { credentialId: string };
  WebAuthnRemoved: { credentialId: string };
  /** A console account looked at a session (user: the console account): its page, its JSON, or a recording's bytes. */
  RecordingViewed: { auditKey: string; view: 'page' | 'api' | 'recording'; channel?: number };
  /** A console account began watching a live terminal channel (user: the console account). */
  LiveViewStarted: { auditKey: string; channel: number };
  /**
   * A console admin asked for a live session to end (user: the console account; reason: what the session's user is
   * told), written before the request; a second one with result failure when it could not be applied (error: why).
   */
  SessionTerminated: { auditKey: string; sessionUser: string; error?: string };
  /** A console admin disabled (locked) or enabled (unlocked) an SSH user: the `user disable`/`enable` of the CLI. */
  UserLockedByConsole: { sshUser: string; error?: string };
  UserUnlockedByConsole: { sshUser: string; error?: string };
  /** An action for admins, refused to a console account of another role. */
  ConsoleActionDenied: { action: string; role: string };
  /** A console search over screen text and typed commands (it shows evidence): the query and how many hits it showed. */
  SearchRun: { query: string; hits: number; view: 'page' | 'api' };
  /** A console account looked at the audit trail (PCI DSS 10.2.1.3): the filters it used, or a session's events. */
  AuditViewed: { view: 'page' | 'api' | 'session' | 'verify'; filters: Record<string, string>; events: number };
  /** The assessor's report, shown or downloaded, for a period. */
  ReportViewed: { since: string; until: string; format: 'page' | 'md' | 'html' };
  /** A session's evidence bundle sent to a console account: the sha256 of the bytes sent. */
  EvidenceExported: { auditKey: string; sha256: string; bytes: number };
  /** `ssh USER@bastion cert` signed the key the user logged in with (fingerprint: that key's). */
  CertificateIssued: { serial: string; keyId: string; validAfter: string; validBefore: string; fingerprint: string; via?: 'console' };
  /** `ssh USER@bastion cert` refused (the reason says why: no second factor, a certificate login, a bad --for). */
  CertificateIssueFailure: { fingerprint?: string; via?: 'console' };
  /** The host CA signed a certificate of a host key for the names a client connects to (first use, or renewal). */
  HostCertificateSigned: { principals: string[]; serial: string; hostKeyType: string; validBefore: string };
  /**
   * Just-in-time access (`user`: the requester; the reason: theirs). A request and its pending deadline; refused
   * (result failure) when no `requires: approval` rule lets the user ask for it.
   */
  AccessRequested: { requestId?: number; target: string; login: string; forSec?: number; rule?: string; pendingUntil?: string };
  /** An approval (`user`: the approver; `operator`: the OS account at the CLI that acted as them): granted once enough are in; result failure when refused (own, expired, not an approver). */
  AccessApproved: { requestId: number; requester?: string; approvals?: number; needed?: number; grantedUntil?: string; via: 'ssh' | 'cli' | 'console'; operator?: string };
  /** A request turned down by an approver (the decision, not a login refusal), with the approver's reason. */
  AccessDenied: { requestId: number; requester?: string; via: 'ssh' | 'cli' | 'console'; operator?: string };
  /** The request webhook took a new request (url: the receiver's origin only; attempts: tries it took). */
  RequestWebhookSent: { requestId: number; url: string; attempts: number; status: number };
  /** The request webhook failed on every try (error: the last one); approvers learn of it some other way. */
  RequestWebhookFailed: { requestId: number; url: string; attempts: number; error: string };
  /** A console single sign-on session ended because the IdP no longer vouches for it (reason: why). */
  ConsoleSsoEnded: { issuer: string; sub: string; groups: string[] };
  /** A console single sign-on session's role changed with the IdP's groups at a re-check. */
  ConsoleSsoRoleChanged: { issuer: string; sub: string; groups: string[]; from: string; to: string };
  /** The IdP has not answered a re-check for longer than auth.oidc.outageGrace: what it vouched for ends (fail closed). */
  IdpOutage: { issuer: string; sub: string; silentSec: number; graceSec: number };
  /**
   * The access an approved request gave ended (`user`: the requester), used or not; or (result failure, pendingUntil)
   * a pending request nobody answered in time. Once per request.
   */
  AccessExpired: { requestId: number; target: string; login: string; grantedUntil?: string; pendingUntil?: string };
  /** A command, shell line, file transfer or tunnel matched a rule of the policy (one event per rule). */
  CommandMatched: { rule: string; action: string; on: 'exec' | 'shell' | 'file' | 'tunnel'; line: string; channel?: number };
  /** An alert reached a sink (alertId: its number in `fumidai alerts list`; count: the hits folded into it). */
  AlertDelivered: { alertId: number; rule: string; sink: string; count: number; attempts: number; auditKey?: string };
  /** An alert a sink never took (alerts.giveUpAfter passed, or the sink is no longer configured): the last error. */
  AlertDeliveryFailure: { alertId: number; rule: string; sink: string; count: number; attempts: number; auditKey?: string };
  /** A shell line held for an approver by a `hold` rule (`user`: who typed it); its Enter waits until pendingUntil. */
  LineHeld: { holdId: number; rule: string; line: string; approvers: string[]; pendingUntil: string; channel?: number };
  /** A held line allowed (`user`: the approver; `operator`: the OS account at the CLI); result failure when the approver was refused (own line, not an approver, decided already). */
  LineHoldAllowed: { holdId: number; requester?: string; via: 'ssh' | 'cli' | 'console'; operator?: string };
  /** A held line refused by an approver, with their reason: it is cancelled (Ctrl-C to the target). */
  LineHoldRefused: { holdId: number; requester?: string; via: 'ssh' | 'cli' | 'console'; operator?: string };
  /** A held line no approver decided in time (or its session ended first, result failure): cancelled. */
  LineHoldExpired: { holdId: number; rule: string };
  /** A held line cancelled by the user who typed it (Ctrl-C). */
  LineHoldCancelled: { holdId: number; rule: string };
}

/** What the audit trail says about a certificate that logged in. */
export interface CertificateFacts {
  serial: string;
  keyId: string;
  ca: string;
  validBefore: string;
  forceCommand?: string;
}

type EventCode = `FM${number}${'I' | 'W'}`;

// `satisfies` keeps this table and EventDetails to the same names: an event added to one and not the other fails to
// compile (a missing name is a missing property, an extra one an unknown property).
export const EVENT_CODES = {
  ConnectionOpened: 'FM1000I',
  ConnectionRefused: 'FM1001W',
  ConnectionClosed: 'FM1002I',
  ConnectionsRefused: 'FM1003W',
  AuthSuccess: 'FM1100I',
  AuthFailure: 'FM1100W',
  AuthPartial: 'FM1101I',
  MfaSuccess: 'FM1110I',
  MfaFailure: 'FM1110W',
  MfaEnrolled: 'FM1111I',
  UserLocked: 'FM1120W',
  SourceBanned: 'FM1121W',
  PolicyDenied: 'FM1200W',
  ChannelDenied: 'FM1201W',
  SessionStart: 'FM2000I',
  SessionEnd: 'FM2001I',
  TargetConnect: 'FM2100I',
  TargetConnectFailure: 'FM2100W',
  HostKeyPinned: 'FM2101I',
  ChannelOpen: 'FM2200I',
  FileTransfer: 'FM2300I',
  PortForward: 'FM2400I',
  IdleTimeout: 'FM2500I',
  MaxSessionLength: 'FM2501I',
  SessionRevoked: 'FM2502W',
  ChannelRevoked: 'FM2503W',
  RecordingSealed: 'FM3000I',
  RecordingFailed: 'FM3000W',
  RecordingInterrupted: 'FM3001W',
  AdminChange: 'FM4000I',
  KeySyncSkipped: 'FM4001W',
  AuditTampered: 'FM4100W',
  AnchorBacklog: 'FM4101W',
  WebLogin: 'FM5000I',
  WebLoginFailure: 'FM5000W',
  RecordingViewed: 'FM5001I',
  SearchRun: 'FM5010I',
  AuditViewed: 'FM5011I',
  ReportViewed: 'FM5012I',
  EvidenceExported: 'FM5013I',
  WebAddressBanned: 'FM5020W',
  WebAuthnRegistered: 'FM5021I',
  WebAuthnRemoved: 'FM5030I',
  CertificateIssued: 'FM6000I',
  CertificateIssueFailure: 'FM6000W',
  HostCertificateSigned: 'FM6060I',
  LiveViewStarted: 'FM5002I',
  SessionTerminated: 'FM5003I',
  UserLockedByConsole: 'FM5004I',
  UserUnlockedByConsole: 'FM5005I',
  ConsoleActionDenied: 'FM5006W',
  AccessRequested: 'FM6020I',
  AccessApproved: 'FM6021I',
  AccessDenied: 'FM6022W',
  AccessExpired: 'FM6023I',
  RequestWebhookSent: 'FM6040I',
  RequestWebhookFailed: 'FM6040W',
  ConsoleSsoEnded: 'FM6041W',
  ConsoleSsoRoleChanged: 'FM6042I',
  IdpOutage: 'FM6043W',
  CommandMatched: 'FM7000W',
  AlertDelivered: 'FM7100I',
  AlertDeliveryFailure: 'FM7100W',
  LineHeld: 'FM7010W',
  LineHoldAllowed: 'FM7011I',
  LineHoldRefused: 'FM7012W',
  LineHoldExpired: 'FM7013W',
  LineHoldCancelled: 'FM7014I',
} as const satisfies Record<keyof EventDetails, EventCode>;

export type EventName = keyof typeof EVENT_CODES;

/** What an emit site passes for an event: its details, plus the common reason and result. */
export type EventFields<N extends EventName> = EventDetails[N] & { reason?: string; result?: AuditEvent['result'] };

/** Events whose details are all optional: their emit may leave the fields out. */
export type OptionalFieldsEvent = { [N in EventName]: {} extends EventDetails[N] ? N : never }[EventName];

/**
 * Log-only events: process-log lines (`{"event":NAME,...}`) for an operator to alert on, written with logEvent
 * (log-events.ts). They say nothing about a person's access, so they have no audit code and stay out of the trail
 * (RecordingInterrupted, an audit event that the start also logs, is the one name in both).
 */
export interface LogEventDetails {
  Crash: { err: Error };
  ListenerError: { code?: string; err: string };
  /** A shipping round that did something; error: the first failure's message. */
  Shipping: { shipped: number; failed: number; backlog: number; pruned: number; error?: string };
  /** An audit segment that no longer starts with what was shipped of it: it is not shipped again. */
  ShippingRefused: { path: string; error: string };
  ConfigReloaded: { why: string; changed: string[]; needsRestart: string[] };
  ConfigReloadFailed: { why: string; reason: string };
  KeySyncFailed: { err: string };
  /** A round of anchoring checkpoints (to: the bucket, or the remote syslog) that sent some, or could not. */
  Anchoring: { to: 'bucket' | 'syslog'; shipped: number; backlog: number; error?: string };
  /** Also an audit event; the log line says too whether that event could be written (unreported: why not). */
  RecordingInterrupted: Recovered;
  /** failed: the audit event that could not be written; code: the system's error code (ENOSPC, EACCES) if there is one. */
  AuditWriteFailed: { failed: EventName; code?: string; err: string };
  /** from/to: octal permission bits; error: why chmod failed (left as found). */
  ModeTightened: { path: string; from: string; to: string; error?: string };
  RunningAsRoot: { uid: number };
  /** A file listed in hostKeys that does not exist: served without it. */
  HostKeyMissing: { file: string };
}

/** When each log-only event is written: the runtime half of the registry, kept to the same names by `satisfies`. */
export const LOG_EVENTS = {
  Crash: 'an error escaped every handler; the process exits with status 70',
  ListenerError: 'the listener failed to accept a connection (EMFILE); it goes on serving',
  Shipping: 'a shipping round uploaded, failed or pruned something',
  ShippingRefused: 'an audit segment changed below what was already shipped: the bucket keeps its copy, the segment is not shipped again',
  ConfigReloaded: 'the config file changed or SIGHUP came, and something new was applied or waits for a restart',
  ConfigReloadFailed: 'the config file changed or SIGHUP came, but it does not validate: the running config stays',
  KeySyncFailed: 'a key-bucket round could not reach the bucket; users stay as they are',
  Anchoring: 'checkpoints went to the bucket or the remote syslog, or wait because it could not be reached',
  RecordingInterrupted: 'a recording a previous process left open was sealed at start',
  AuditWriteFailed: 'an audit event could not be written to the trail (disk full, permissions); what it gates was refused',
  ModeTightened: 'at start, a directory or file of the data directory was open to other accounts and was set to 0700/0600',
  RunningAsRoot: 'serve runs as root; a dedicated user with contrib/fumidai.service is the way to avoid it',
  HostKeyMissing: "at start, a host key listed in hostKeys is missing: clients that need its type cannot connect; 'fumidai init' creates it",
} as const satisfies Record<keyof LogEventDetails, string>;

export type LogEventName = keyof typeof LOG_EVENTS;

export interface AuditEvent {
  eventId: string;
  eventTime: string;
  eventName: EventName;
  eventCode: string;
  sessionId?: string;
  user?: string;
  sourceIp?: string;
  sourcePort?: number;
  target?: string;
  login?: string;
  result: 'success' | 'failure';
  reason?: string;
  details?: Record<string, unknown>;
}

/** What an emit site gives; the log fills id, time and code. */
export type EventInput = Omit<AuditEvent, 'eventId' | 'eventTime' | 'eventCode' | 'result'> & { result?: AuditEvent['result'] };

const SECRET_FIELD = /(private.?key|secret|seed|password|passphrase|token|otp.?code)/i;

/** Refuses any field that looks like a secret, at any depth: a secret must never reach the trail. */
export function assertNoSecrets(value: unknown, path = 'event'): void {
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(k)) throw new Error(`audit event field ${path}.${k} looks like a secret and is not written`);
    assertNoSecrets(v, `${path}.${k}`);
  }
}

export function defaultResult(name: EventName): AuditEvent['result'] {
  return EVENT_CODES[name].endsWith('W') ? 'failure' : 'success';
}
