// The LineHolds role of the store: shell lines held for an approver (line-holds.ts has the SQLite and PostgreSQL code).

export interface LineHoldRecord {
  id: number;
  auditKey: string;
  user: string;
  target: string;
  login: string;
  rule: string;
  line: string;
  /** The approvers groups of the rule. */
  approvers: string[];
  state: 'pending' | 'allowed' | 'refused' | 'expired' | 'cancelled';
  createdAt: string;
  pendingUntil: string;
  decidedBy?: string;
  decisionReason?: string;
}

export type NewLineHold = Omit<LineHoldRecord, 'id' | 'state' | 'createdAt' | 'decidedBy' | 'decisionReason'>;

export interface LineHolds {
  addLineHold(h: NewLineHold): Promise<number>;
  lineHold(id: number): Promise<LineHoldRecord | undefined>;
  /** Pending holds, oldest first. */
  pendingLineHolds(): Promise<LineHoldRecord[]>;
  /** Decides a hold only if it is still pending: two deciders (or a decider and the timeout) never both win. */
  decideLineHold(id: number, state: Exclude<LineHoldRecord['state'], 'pending'>, by?: string, reason?: string): Promise<boolean>;
}
