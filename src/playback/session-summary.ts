// One line for what a session was, for `sessions list` and the web console: its kinds of channel and, for exec, the command. Pure.
import type { ChannelRecord, ScreenHit } from '../store/store.js';

/** "shell", "exec: uptime", "sftp", "direct-tcpip ×3", or several joined: the channels in the order they opened. */
export function sessionSummary(channels: Pick<ChannelRecord, 'kind' | 'command'>[]): { kind: string; what: string } {
  const kinds = [...new Set(channels.map((c) => c.kind))];
  const parts = kinds.map((k) => {
    const of = channels.filter((c) => c.kind === k);
    if (k === 'exec') return of.map((c) => `exec: ${(c.command ?? '').replace(/\s+/g, ' ').slice(0, 60)}`).join('; ');
    return of.length > 1 ? `${k} ×${of.length}` : k;
  });
  return { kind: kinds.join(',') || '-', what: parts.join('; ') || '(no channel)' };
}

/** Search hits with the same text in the same channel are one hit: the first time it was on screen, and how often. */
export function distinctHits(hits: ScreenHit[]): (ScreenHit & { times: number })[] {
  const seen = new Map<string, ScreenHit & { times: number }>();
  for (const h of hits) {
    const key = `${h.auditKey}\0${h.channel}\0${h.snippet.replace(/\s+/g, ' ').trim()}`;
    const first = seen.get(key);
    if (first) first.times++;
    else seen.set(key, { ...h, times: 1 });
  }
  return [...seen.values()];
}
