// The one repository interface of fumidai. SQLite implements it for the embedded default; PostgreSQL will too.
// Async on purpose: a networked store must fit the same shape.

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
}

export interface Store {
  addUser(name: string): Promise<void>;
  removeUser(name: string): Promise<boolean>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;

  addKey(key: Omit<UserKeyRecord, 'addedAt'>): Promise<void>;
  keysOf(user: string): Promise<UserKeyRecord[]>;
  findKey(fingerprint: string): Promise<UserKeyRecord | undefined>;

  addTarget(target: Omit<TargetRecord, 'createdAt' | 'hostKey' | 'hostKeyFingerprint'>): Promise<void>;
  removeTarget(name: string): Promise<boolean>;
  getTarget(name: string): Promise<TargetRecord | undefined>;
  listTargets(): Promise<TargetRecord[]>;
  pinHostKey(target: string, hostKey: string, fingerprint: string): Promise<void>;
  forgetHostKey(target: string): Promise<boolean>;

  grant(user: string, target: string, login: string): Promise<void>;
  revoke(user: string, target: string, login?: string): Promise<number>;
  grantsOf(user: string): Promise<GrantRecord[]>;

  openSession(session: Omit<SessionRecord, 'state'>): Promise<void>;
  updateSession(auditKey: string, fields: Partial<Pick<SessionRecord, 'target' | 'login'>>): Promise<void>;
  closeSession(auditKey: string, fields: { endedAt: string; exitStatus?: number; reason?: string }): Promise<void>;
  /** Marks sessions a previous process left live as interrupted; returns how many. */
  interruptLiveSessions(reason: string): Promise<number>;
  listSessions(): Promise<SessionRecord[]>;

  close(): Promise<void>;
}
