// The AlertSpool role of the store: alerts are written here before any sink is tried, so a crash or a receiver's
// outage loses none. Times are milliseconds since the epoch.

/** One alert: the first hit of a rule for a key, and how many more were folded into it before it was sent. */
export interface AlertRecord {
  id: number;
  rule: string;
  key: string;
  severity: string;
  summary: string;
  /** The first input that raised it, as JSON. */
  event: string;
  sinks: string[];
  count: number;
  firstAt: number;
  lastAt: number;
  /** Set when its deliveries were opened: later hits start a new alert. */
  sealedAt?: number;
}

export interface AlertDeliveryState {
  sink: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAt: number;
  lastError?: string;
  deliveredAt?: number;
}

/** A delivery claimed by one node for the lease's time. */
export interface ClaimedDelivery extends AlertDeliveryState {
  alert: AlertRecord;
}

export type DeliveryOutcome = { state: 'delivered'; at: number } | { state: 'pending'; nextAt: number; error: string } | { state: 'failed'; error: string };

export interface NewAlert {
  rule: string;
  key: string;
  severity: string;
  summary: string;
  event: string;
  sinks: string[];
}

/** Alerts (alerts-sqlite.ts, alerts-pg.ts). */
export interface AlertSpool {
  /**
   * Adds a hit: folded into the rule's unsealed alert for the key (count + 1), or a new alert that may be sealed no
   * earlier than `rateLimitMs` after the last one of the rule and key was.
   */
  raiseAlert(a: NewAlert, now: number, rateLimitMs: number): Promise<void>;
  /** Seals the alerts that are due, opening one delivery per sink; returns how many. Each alert is sealed once. */
  sealAlerts(now: number): Promise<number>;
  /** Takes up to `limit` due deliveries for `leaseMs`; another node gets none of them until the lease ends. */
  claimDeliveries(node: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /** Records a claimed delivery's outcome; false if the lease was lost (another node took it over). */
  finishDelivery(alertId: number, sink: string, node: string, outcome: DeliveryOutcome): Promise<boolean>;
  /** Newest first, with each delivery's state. */
  recentAlerts(limit: number): Promise<(AlertRecord & { deliveries: AlertDeliveryState[] })[]>;
  /** When `user` last logged in from `address` (null: never) and whether they have any history; then records now. */
  touchAddress(user: string, address: string, now: number): Promise<{ at: number | null; known: boolean }>;
}
