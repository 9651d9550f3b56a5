// A session's facts (who, from where, to what, when, how it ended) read from its own events, for a page made from the
// bucket where no session index is at hand.
import type { PageFacts } from './bundle.js';
import type { EvidenceBundle } from './proof.js';

interface EventLine {
  eventName?: string;
  eventTime?: string;
  sessionId?: string;
  user?: string;
  sourceIp?: string;
  target?: string;
  login?: string;
  details?: { exitStatus?: number };
}

export function factsOf(bundle: EvidenceBundle): PageFacts {
  const events: EventLine[] = [];
  for (const line of bundle.ranges.flatMap((r) => r.lines)) {
    try {
      const e = JSON.parse(line) as EventLine;
      if (e && e.sessionId === bundle.auditKey) events.push(e);
    } catch {
      // a line that does not parse is the verifier's to report
    }
  }
  const named = (n: string) => events.find((e) => e.eventName === n);
  const start = named('SessionStart') ?? events[0];
  const end = named('SessionEnd');
  const target = events.find((e) => e.target);
  return {
    user: start?.user ?? '?',
    sourceIp: start?.sourceIp ?? '?',
    target: target?.target,
    login: target?.login,
    startedAt: start?.eventTime ?? '?',
    endedAt: end?.eventTime,
    exitStatus: end?.details?.exitStatus,
  };
}
