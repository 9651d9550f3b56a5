// The newest event of one kind in a chain's latest segments, for `status` (has the start found the trail tampered?).
// It reads, it does not verify: `audit verify` is what an auditor trusts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent, EventName } from './events.js';

export function lastEventOf(chainDir: string, name: EventName, segments = 2): AuditEvent | undefined {
  if (!existsSync(chainDir)) return undefined;
  const files = readdirSync(chainDir).filter((f) => f.endsWith('.jsonl')).sort().slice(-segments).reverse();
  const needle = `"eventName":${JSON.stringify(name)}`;
  for (const f of files) {
    const lines = readFileSync(join(chainDir, f), 'utf8').split('\n').filter((l) => l.includes(needle));
    for (const line of lines.reverse()) {
      try {
        const e = JSON.parse(line) as AuditEvent;
        if (e.eventName === name) return e;
      } catch {
        // a torn or edited line: not this function's to judge
      }
    }
  }
  return undefined;
}
