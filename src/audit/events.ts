// The audit event catalogue: every event name with its stable code, in one table (codes are never set at emit sites,
// and a test keeps them unique). Success and failure of one step share a number, as in Teleport (I = info, W = warning).

export const EVENT_CODES = {
  ConnectionOpened: 'FM1000I',
  ConnectionRefused: 'FM1001W',
  ConnectionClosed: 'FM1002I',
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
  RecordingSealed: 'FM3000I',
  RecordingFailed: 'FM3000W',
  RecordingInterrupted: 'FM3001W',
  AdminChange: 'FM4000I',
  KeySyncSkipped: 'FM4001W',
} as const;

export type EventName = keyof typeof EVENT_CODES;

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
