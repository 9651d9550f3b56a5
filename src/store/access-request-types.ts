// The AccessRequests role of the store: just-in-time access requests and their decisions.

/** A just-in-time access request: pending, then approved (a time-bound grant until grantedUntil) or denied. */
export interface AccessRequestRecord {
  id: number;
  user: string;
  target: string;
  login: string;
  /** The `requires: approval` rule it was asked under. */
  rule: string;
  forSec: number;
  reason: string;
  state: 'pending' | 'approved' | 'denied';
  createdAt: string;
  /** A pending request not approved by then can no longer be. */
  pendingUntil: string;
  /** Who approved so far (the request is approved once the rule's count is reached). */
  approvers: string[];
  decidedBy?: string;
  decisionReason?: string;
  decidedAt?: string;
  grantedUntil?: string;
}

export type AccessRequestChange = Pick<AccessRequestRecord, 'state' | 'approvers'> & Partial<Pick<AccessRequestRecord, 'decidedBy' | 'decisionReason' | 'decidedAt' | 'grantedUntil'>>;

/** Access requests (access-requests-sqlite.ts, access-requests-pg.ts). */
export interface AccessRequests {
  addAccessRequest(r: Omit<AccessRequestRecord, 'id' | 'state' | 'approvers' | 'createdAt'>): Promise<number>;
  accessRequest(id: number): Promise<AccessRequestRecord | undefined>;
  /** Newest first; one user's, or everyone's. */
  listAccessRequests(user?: string): Promise<AccessRequestRecord[]>;
  /** Changes a request only if it is still as `seen` (state and approvers): two deciders never both win. */
  changeAccessRequest(id: number, seen: Pick<AccessRequestRecord, 'state' | 'approvers'>, change: AccessRequestChange): Promise<boolean>;
  /** The user's approved requests whose access ended at most a day ago or is still running. */
  approvedAccessOf(user: string, now: Date): Promise<AccessRequestRecord[]>;
  /** True once per request: its expiry is written to the audit trail by one node only. */
  claimAccessExpiry(id: number): Promise<boolean>;
  /** Gives a claim back (its event could not be written): the next sweep, of any node, tries again. */
  releaseAccessExpiry(id: number): Promise<void>;
  /**
   * Requests whose end is not yet in the trail (expiry unclaimed): approved ones whose access ended by `now`, and
   * pending ones nobody answered by their pendingUntil. Oldest first, at most `limit`.
   */
  endedUnclaimed(now: Date, limit: number): Promise<AccessRequestRecord[]>;
}
