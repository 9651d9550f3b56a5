// The store contract, in roles: each consumer takes the roles it uses (a session index writer needs no spool), and
// Store is all of them. SQLite implements it for the embedded default, PostgreSQL for several nodes; one test suite
// runs on both. Async on purpose: a networked store must fit the same shape.
import type { AccessRequests } from './access-request-types.js';
import type { AlertSpool } from './alert-types.js';
import type { LineHolds } from './line-hold-types.js';

export interface UserRecord {
  name: string;
  createdAt: string;
  disabled: boolean;
}

export interface UserKeyRecord {
  user: string;
  fingerprint: string;
  type: string;
  blob: Buffer;
  comment: string;
  addedAt: string;
}

export interface TargetRecord {
  name: string;
  host: string;
  port: number;
  defaultLogin: string;
  /** Pinned on first use, OpenSSH blob (base64) and its fingerprint; undefined until the first connection. */
  hostKey?: string;
  hostKeyFingerprint?: string;
  /** Accepts an `ssh-rsa` (SHA-1 signed) host key from this target; refused unless an admin allowed it. */
  allowSha1HostKey?: boolean;
  /** fumidai logs in with a per-session certificate of its upstream key (the target trusts its user CA). */
  certLogin?: boolean;
  createdAt: string;
}

export interface GrantRecord {
  user: string;
  target: string;
  login: string;
  createdAt: string;
}

export interface SessionRecord {
  auditKey: string;
  user: string;
  sourceIp: string;
  sourcePort: number;
  target?: string;
  login?: string;
  startedAt: string;
  endedAt?: string;
  exitStatus?: number;
  state: 'live' | 'closed' | 'interrupted';
  reason?: string;
  bytesIn?: number;
  bytesOut?: number;
  /** Set by `sessions kill`: the node running the session ends it. */
  terminationRequested?: string;
  /** The node that runs (or ran) it, where the store is shared (PostgreSQL); absent with SQLite (one node). */
  node?: string;
}

export interface ChannelRecord {
  auditKey: string;
  channel: number;
  kind: string;
  command?: string;
  recordingPath: string;
  startedAt: string;
  endedAt?: string;
  exitStatus?: number;
  bytesIn: number;
  bytesOut: number;
  /** sha256 of the sealed recording file; undefined while live. */
  sha256?: string;
  recordingBytes?: number;
  state: 'live' | 'sealed' | 'interrupted' | 'failed';
  /** A terminal recording whose screen text is still to be indexed (set at open, cleared by addScreenText). */
  screenPending?: boolean;
}

export interface FileOpRecord {
  auditKey: string;
  channel: number;
  at: string;
  op: string;
  path: string;
  to?: string;
  bytes?: number;
  sha256?: string;
  result: string;
}

export interface ScreenHit {
  auditKey: string;
  channel: number;
  offset: number;
  snippet: string;
}

/** A row of a channel's indexed text: a screen as shown (the default), or a line typed, at its time offset in seconds. */
export interface IndexedText {
  offset: number;
  text: string;
  kind?: 'screen' | 'typed';
}

export interface SessionFilter {
  user?: string;
  target?: string;
  since?: string;
  until?: string;
  live?: boolean;
}

export type SessionKind = 'shell' | 'exec' | 'sftp' | 'tunnel';

/** The position after the last row of a page of sessions: its group, start and key (the order's tie-breaker). */
export interface SessionCursor {
  live: boolean;
  startedAt: string;
  auditKey: string;
}

/** A page of the sessions list: live first, then the newest; every field an exact match but the times. */
export interface SessionQuery {
  user?: string;
  target?: string;
  login?: string;
  sourceIp?: string;
  /** ISO times: sessions open at some point in [from, to] (a live session is open now). */
  from?: string;
  to?: string;
  /** Sessions with at least one channel of this kind (tunnel: direct-tcpip, forwarded-tcpip, x11). */
  kind?: SessionKind;
  state?: SessionRecord['state'];
  limit: number;
  after?: SessionCursor;
}

export interface SessionPage {
  sessions: (SessionRecord & { channels: Pick<ChannelRecord, 'channel' | 'kind' | 'command'>[] })[];
  /** Where the next page starts; undefined on the last page. */
  next?: SessionCursor;
}

/** Users, their keys, targets and grants: who may be asked for, and where they may go. */
export interface Directory {
  addUser(name: string): Promise<void>;
  removeUser(name: string): Promise<boolean>;
  /** Disables or enables a user; false if there is no such user. A disabled user keeps keys and grants but is refused. */
  setUserDisabled(name: string, disabled: boolean): Promise<boolean>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  addKey(key: Omit<UserKeyRecord, 'addedAt'>): Promise<void>;
  keysOf(user: string): Promise<UserKeyRecord[]>;
  findKey(fingerprint: string): Promise<UserKeyRecord | undefined>;
  removeKey(user: string, fingerprint: string): Promise<boolean>;
  addTarget(target: Omit<TargetRecord, 'createdAt' | 'hostKey' | 'hostKeyFingerprint'>): Promise<void>;
  removeTarget(name: string): Promise<boolean>;
  getTarget(name: string): Promise<TargetRecord | undefined>;
  listTargets(): Promise<TargetRecord[]>;
  pinHostKey(target: string, hostKey: string, fingerprint: string): Promise<void>;
  forgetHostKey(target: string): Promise<boolean>;
  setAllowSha1HostKey(target: string, allow: boolean): Promise<boolean>;
  grant(user: string, target: string, login: string): Promise<void>;
  revoke(user: string, target: string, login?: string): Promise<number>;
  grantsOf(user: string): Promise<GrantRecord[]>;
}

/** The session index: sessions, their channels and recordings, file operations and screen text. */
export interface SessionIndex {
  openSession(session: Omit<SessionRecord, 'state'>): Promise<void>;
  updateSession(auditKey: string, fields: Partial<Pick<SessionRecord, 'target' | 'login'>>): Promise<void>;
  closeSession(auditKey: string, fields: { endedAt: string; exitStatus?: number; reason?: string; bytesIn?: number; bytesOut?: number }): Promise<void>;
  /** Marks sessions a previous process left live as interrupted; returns how many. */
  interruptLiveSessions(reason: string): Promise<number>;
  listSessions(filter?: SessionFilter): Promise<SessionRecord[]>;
  getSession(auditKey: string): Promise<SessionRecord | undefined>;
  /** One page of sessions with their channels, filtered and ordered by the store (two selects, whatever the page). */
  sessionPage(query: SessionQuery): Promise<SessionPage>;
  /** Asks whichever node runs a live session to end it; false if no such live session. */
  requestTermination(auditKey: string, reason: string): Promise<boolean>;
  openChannel(rec: Omit<ChannelRecord, 'state' | 'bytesIn' | 'bytesOut'>): Promise<void>;
  sealChannel(auditKey: string, channel: number, f: Pick<ChannelRecord, 'endedAt' | 'exitStatus' | 'bytesIn' | 'bytesOut' | 'sha256' | 'recordingBytes' | 'state'>): Promise<void>;
  channelsOf(auditKey: string): Promise<ChannelRecord[]>;
  /** Channels whose recording was never sealed (the process died): for recovery at start. */
  unsealedChannels(): Promise<ChannelRecord[]>;
  addFileOp(op: FileOpRecord): Promise<void>;
  fileOpsOf(auditKey: string): Promise<FileOpRecord[]>;
  /** Adds a channel's screen text and typed lines and marks it indexed, in one transaction (rows may be empty). */
  addScreenText(auditKey: string, channel: number, rows: IndexedText[]): Promise<void>;
  /** This node's ended terminal channels whose screen text was never indexed (the process went first): for the start. */
  unindexedScreens(): Promise<ChannelRecord[]>;
  searchScreen(query: string): Promise<ScreenHit[]>;
  /** The lines typed on terminals that hold the phrase (the snippet marks it with [ ]), as searchScreen does. */
  searchTyped(query: string): Promise<ScreenHit[]>;
}

/** The applied policy document (YAML source, validated before it is stored). */
export interface PolicyStore {
  getPolicyDocument(): Promise<{ document: string; updatedAt: string } | undefined>;
  setPolicyDocument(document: string): Promise<void>;
}

/** What logins leave behind: second-factor seeds and used steps, user lockouts, address failures and bans. */
export interface AuthState {
  /** TOTP enrolment; the secret is encrypted by the caller with a key kept outside the store. */
  getMfa(user: string): Promise<{ secretEnc: Buffer; lastStep: number; enrolledAt: string } | undefined>;
  setMfa(user: string, secretEnc: Buffer): Promise<void>;
  deleteMfa(user: string): Promise<boolean>;
  /** Atomically records a used TOTP step; false if that step (or a later one) was already used: a replay. */
  useMfaStep(user: string, step: number): Promise<boolean>;
  /** Consecutive authentication failures of a user, for lockout; returns the new count and lock. */
  recordAuthFailure(user: string, lockAfter: number, lockSeconds: number, at?: Date): Promise<UserLock>;
  clearAuthFailures(user: string): Promise<void>;
  /**
   * What a successful login does: clears the user's failures unless a lock is in force at `at`, in which case nothing
   * is cleared and the lock is returned (the login must then be refused). Atomic against failures on other nodes.
   */
  clearFailuresUnlessLocked(user: string, at?: Date): Promise<UserLock>;
  getUserLock(user: string): Promise<UserLock>;
  /** Address bans, shared so that a flood banned by one node is refused by every node. The later end wins. */
  banSource(ip: string, until: string): Promise<void>;
  /** Bans still in force at `now`. */
  sourceBans(now: string): Promise<{ ip: string; until: string }[]>;
  /** Recent failure times (ms) of an address, replaced by what `update` makes of them, atomically across nodes. */
  updateSourceFailures<T>(ip: string, update: (failures: number[]) => { failures: number[]; result: T }): Promise<T>;
  /** Forgets addresses whose last failure is before `before` (ms since the epoch); returns how many. */
  sweepSourceFailures(before: number): Promise<number>;
}

export interface ChangeFeed {
  /** Changes whenever another process (the CLI, another node) commits; cheap to poll for revocation checks. */
  changeToken(): Promise<number>;
}

/** The shipping spool: files waiting for (or done with) upload to object storage. */
export interface Spool {
  spoolAdd(item: { path: string; objectKey: string; kind: 'recording' | 'audit' | 'anchor' }): Promise<void>;
  spoolDue(now: string): Promise<SpoolItem[]>;
  spoolUpdate(path: string, f: Partial<Pick<SpoolItem, 'state' | 'attempts' | 'lastError' | 'nextAttemptAt' | 'shippedAt' | 'shippedSize' | 'sha256' | 'pieces'>>): Promise<void>;
  spoolList(): Promise<SpoolItem[]>;
  /** Sealed (or interrupted) recordings not in the spool yet. */
  unspooledRecordings(): Promise<string[]>;
}

/** Users kept in step with public keys in a bucket. */
export interface BucketUsers {
  /** Users that come from `public-keys/<user>.pub` objects, with the ETag last applied. */
  bucketUsers(): Promise<{ objectKey: string; etag: string; user: string }[]>;
  /** Creates or updates a bucket user with exactly these keys, atomically. */
  applyBucketUser(objectKey: string, etag: string, user: string, keys: Omit<UserKeyRecord, 'addedAt' | 'user'>[]): Promise<'created' | 'updated'>;
  removeBucketUser(objectKey: string, user: string): Promise<void>;
}


export interface WebAccountRecord {
  name: string;
  role: WebRole;
  /** scrypt parameters, salt and hash in one string (web/password.ts); never the password. */
  passwordHash: string;
  /** The TOTP seed, sealed by the caller like an SSH user's (mfa/seed-box.ts); undefined without TOTP. */
  totpEnc?: Buffer;
  lastStep: number;
  createdAt: string;
}

/** Accounts of the web console: not SSH users, with their own failures and lockout. */
export interface WebAccounts {
  addWebAccount(account: Omit<WebAccountRecord, 'createdAt' | 'lastStep'>): Promise<void>;
  getWebAccount(name: string): Promise<WebAccountRecord | undefined>;
  listWebAccounts(): Promise<WebAccountRecord[]>;
  removeWebAccount(name: string): Promise<boolean>;
  /** Atomically records a used TOTP step; false if that step (or a later one) was already used: a replay. */
  useWebTotpStep(name: string, step: number): Promise<boolean>;
  /** Same rule as recordAuthFailure, counted apart from SSH users. */
  recordWebFailure(name: string, lockAfter: number, lockSeconds: number, at?: Date): Promise<UserLock>;
  /** Same rule as clearFailuresUnlessLocked. */
  clearWebFailuresUnlessLocked(name: string, at?: Date): Promise<UserLock>;
}

// Who may enter the console (tokens, console sessions, pending steps, security keys): in their own file.
export type { ConsoleSessionRecord, KeyRemoval, WebAuthnCredentialRecord, WebIdentity, WebPendingRecord, WebRole, WebTokenRecord } from './web-identity.js';
import type { WebIdentity, WebRole } from './web-identity.js';

export interface IssuedCertRecord {
  serial: number;
  user: string;
  keyId: string;
  /** The certified key's fingerprint. */
  fingerprint: string;
  validBefore: string;
  issuedAt: string;
}

export interface CertRevocationRecord {
  /** A serial of the CA whose fingerprint is `ca`; or a key id, of any CA. */
  serial?: number;
  ca?: string;
  keyId?: string;
  reason: string;
  revokedAt: string;
}

/** User certificates: serials (monotonic across nodes), what was issued, and revocations. */
export interface Certificates {
  /** The next serial of fumidai's CA: never the same twice, increasing, on every node. */
  nextCertSerial(): Promise<number>;
  recordIssuedCert(rec: Omit<IssuedCertRecord, 'issuedAt'>): Promise<void>;
  listIssuedCerts(): Promise<IssuedCertRecord[]>;
  revokeCert(rec: Omit<CertRevocationRecord, 'revokedAt'>): Promise<void>;
  /** The revocation that covers this certificate (its CA's serial, or its key id), if any. */
  certRevocation(ca: string, serial: number, keyId: string): Promise<CertRevocationRecord | undefined>;
  listCertRevocations(): Promise<CertRevocationRecord[]>;
  /** Turns per-session certificate login on or off for a target; false if there is no such target. */
  setCertLogin(target: string, on: boolean): Promise<boolean>;
}

export type { AccessRequestChange, AccessRequestRecord, AccessRequests } from './access-request-types.js';
export type { AlertDeliveryState, AlertRecord, AlertSpool, ClaimedDelivery, DeliveryOutcome, NewAlert } from './alert-types.js';
export type { LineHoldRecord, LineHolds, NewLineHold } from './line-hold-types.js';

/** The whole store: what the composition root opens and closes. Consumers take the roles they use. */
export interface Store extends Directory, SessionIndex, PolicyStore, AuthState, ChangeFeed, Spool, BucketUsers, WebAccounts, WebIdentity, Certificates, AccessRequests, AlertSpool, LineHolds {
  close(): Promise<void>;
}

export interface SpoolItem {
  path: string;
  objectKey: string;
  kind: 'recording' | 'audit' | 'anchor';
  /** refused: an audit segment changed below what was shipped; it is not shipped again (lastError says why). */
  state: 'pending' | 'shipped' | 'pruned' | 'refused';
  attempts: number;
  lastError?: string;
  nextAttemptAt: string;
  shippedAt?: string;
  /** Bytes shipped: the whole file; of an audit segment, the part [0, shippedSize) whose sha256 is `sha256`. */
  shippedSize?: number;
  sha256?: string;
  /** An audit segment shipped as append-only pieces (false: uploaded whole under one key, as earlier versions did). */
  pieces?: boolean;
}

export interface UserLock {
  consecutiveFailures: number;
  /** ISO time until which the user is locked; undefined when not locked. */
  lockedUntil?: string;
}
