// The store's role for who may enter the web console, kept where every node sees it: API tokens (their hash only),
// console sessions and pending login steps (by the hash of the cookie), WebAuthn security keys.
export type WebRole = 'auditor' | 'admin';

/** An API bearer token of the console: only the SHA-256 of the token is kept, never the token. */
export interface WebTokenRecord {
  name: string;
  role: WebRole;
  hash: string;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** How a console session was opened: a console account's password login, or single sign-on (no console account). */
export type ConsoleVia = 'password' | 'sso';

/** A console session, keyed by the SHA-256 of its cookie; lastSeen in ms since the epoch. */
export interface ConsoleSessionRecord {
  name: string;
  role: WebRole;
  lastSeen: number;
  via: ConsoleVia;
}

/** A step between two requests (a login whose password was right, a key being registered): taken once. */
export interface WebPendingRecord {
  name: string;
  /** The WebAuthn challenge the next request must answer ('' when none: the TOTP step). */
  challenge: string;
  at: number;
}

export interface WebAuthnCredentialRecord {
  /** The credential id, base64url. */
  id: string;
  account: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  createdAt: string;
}

/** What became of a key's removal: 'unknown' when the account has no such key, 'last' when it is its last second factor. */
export type KeyRemoval = 'removed' | 'unknown' | 'last';

/** Who may enter the console, kept where every node sees it: API tokens, sessions, pending steps, security keys. */
export interface WebIdentity {
  /** WEB_TOKEN_EXISTS if the name is taken by a token not revoked; a revoked one is replaced. */
  addWebToken(t: Pick<WebTokenRecord, 'name' | 'role' | 'hash' | 'expiresAt'>): Promise<void>;
  webTokenByHash(hash: string): Promise<WebTokenRecord | undefined>;
  listWebTokens(): Promise<WebTokenRecord[]>;
  /** False if there is no such token not already revoked. */
  revokeWebToken(name: string, at?: string): Promise<boolean>;
  /** Sets last-used, at most once a minute per token (an API client polling does not write each time). */
  touchWebToken(name: string, at: Date): Promise<void>;
  openConsoleSession(idHash: string, name: string, role: WebRole, now: number, via?: ConsoleVia): Promise<void>;
  /** The session, its lastSeen set to now; undefined if unknown or idle longer than idleMs (then removed). */
  touchConsoleSession(idHash: string, now: number, idleMs: number): Promise<ConsoleSessionRecord | undefined>;
  closeConsoleSession(idHash: string): Promise<void>;
  /** Removes sessions last seen before `sessionsBefore` and pending steps made before `pendingBefore`. */
  sweepConsoleSessions(sessionsBefore: number, pendingBefore: number): Promise<number>;
  putWebPending(idHash: string, p: WebPendingRecord): Promise<void>;
  /** Removes and returns a pending step (once, across nodes). */
  takeWebPending(idHash: string): Promise<WebPendingRecord | undefined>;
  addWebAuthnCredential(c: Omit<WebAuthnCredentialRecord, 'createdAt'>): Promise<void>;
  webAuthnCredentials(account: string): Promise<WebAuthnCredentialRecord[]>;
  webAuthnCredential(id: string): Promise<WebAuthnCredentialRecord | undefined>;
  /** Atomically moves a key's signature counter forward; false if it would not move (a cloned key, a replay). */
  useWebAuthnCounter(id: string, counter: number): Promise<boolean>;
  /**
   * Removes a key of this account (never another account's), unless it is the account's last second factor: no other
   * key and no TOTP. Checked and removed atomically, so two removals at once cannot leave the account without one.
   */
  removeWebAuthnCredential(account: string, id: string): Promise<KeyRemoval>;
}

