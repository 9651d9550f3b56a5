// The audit key names a session everywhere: banner, session index, recordings, events.
// Time first so keys sort chronologically; the random suffix makes them unguessable and unique across nodes.
import { randomBytes } from 'node:crypto';

export function newAuditKey(user: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${user}-${randomBytes(5).toString('hex')}`;
}
