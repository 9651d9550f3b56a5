// What the console needs from the bastion beside it for live view and admin actions (wired by the CLI's serve), and
// where a session can be watched from this console.
import type { LiveFeed } from '../recording/live-feed.js';
import type { SessionIndex, SessionRecord } from '../store/store.js';
import type { ActionDeps } from './console-actions.js';
import type { LiveInfo } from './live-page.js';

export interface LiveDeps extends Omit<ActionDeps, 'audit' | 'index'> {
  feed: LiveFeed;
  /** This node's name: a session of a shared store that names another node is watched from that node's console. */
  node: string;
  index: Pick<SessionIndex, 'requestTermination'>;
}

/** Where a session can be watched (its terminal channels live here, or the other node that holds it) and its user's lock. */
export async function liveInfo(live: LiveDeps | undefined, s: SessionRecord): Promise<LiveInfo> {
  const elsewhere = s.node && live && s.node !== live.node ? s.node : undefined;
  const user = await live?.users.getUser(s.user);
  return { channels: live && !elsewhere ? live.feed.channels(s.auditKey) : [], ...(elsewhere ? { elsewhere } : {}), userLocked: Boolean(user?.disabled) };
}
