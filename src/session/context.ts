// What every part of the gateway may use: configuration, store, keys and the logger, built once by the server.
import type { Logger } from 'pino';
import type { IndexWrites } from '../store/index-writes.js';
import type { Config } from '../config/schema.js';
import type { Store, TargetRecord } from '../store/store.js';
import type { SeedBox } from '../mfa/seed-box.js';
import type { SourceThrottle } from '../auth/throttle.js';
import type { LiveSessions } from './live-sessions.js';
import type { AuditTrail } from '../audit/trail.js';
import type { PolicySource } from '../policy/source.js';
import type { ScreenSnapshot } from '../playback/screen-index.js';

export interface GatewayDeps {
  config: Config;
  store: Store;
  log: Logger;
  hostKeys: Buffer[];
  upstreamKey: Buffer;
  seeds: SeedBox;
  throttle: SourceThrottle;
  live: LiveSessions;
  policy: PolicySource;
  audit: AuditTrail;
  /** Absolute directory recordings are written to. */
  recordingDir: string;
  /** Index writes after the fact, retried while the store is away. */
  indexWrites: IndexWrites;
  /** Rebuilds the screens of a sealed terminal recording for search (off the relay's thread). */
  screenIndex: { snapshots(path: string): Promise<ScreenSnapshot[]> };
}

/** Where a session goes, once resolved and allowed: the target and the login on it. */
export interface Resolved {
  target: TargetRecord;
  login: string;
}

/** The authenticated client behind a connection (outer, or inner for ProxyJump). */
export interface Caller {
  user: string;
  sourceIp: string;
  sourcePort: number;
  keyFingerprint: string;
  /** Whether this login gave a second factor. */
  mfa: boolean;
}
