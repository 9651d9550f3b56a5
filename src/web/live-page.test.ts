import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveFeed } from '../recording/live-feed.js';
import type { SessionRecord } from '../store/store.js';
import { liveInfo, type LiveDeps } from './live-deps.js';
import { sessionActions } from './live-page.js';

const session = (node?: string): SessionRecord => ({ auditKey: '20261205T120000Z-alice-0a', user: 'alice', sourceIp: '10.0.0.1', sourcePort: 1, startedAt: '', state: 'live', ...(node ? { node } : {}) });
function deps(): LiveDeps {
  const feed = new LiveFeed();
  feed.open('20261205T120000Z-alice-0a', 1, { cols: 80, rows: 24, path: '/x', position: () => 0, flush: async () => undefined });
  return { feed, node: 'node-a', storeChanged: () => undefined, index: { requestTermination: async () => true }, users: { getUser: async () => ({ name: 'alice', createdAt: '', disabled: true }), setUserDisabled: async () => true } };
}
const admin = { name: 'ada', role: 'admin', csrf: 't' };
const auditor = { name: 'aud', role: 'auditor', csrf: 't' };

test('a session on this node (or a store without nodes) is watched here; one on another node names that node', async () => {
  const d = deps();
  assert.deepEqual(await liveInfo(d, session()), { channels: [1], userLocked: true });
  assert.deepEqual(await liveInfo(d, session('node-a')), { channels: [1], userLocked: true });
  const there = await liveInfo(d, session('node-b'));
  assert.deepEqual(there, { channels: [], elsewhere: 'node-b', userLocked: true });
  const text = sessionActions(session('node-b'), there, admin).text;
  assert.match(text, /runs on node <b>node-b<\/b>: watch it live from that node's console/);
  assert.match(text, /\/terminate"/, 'terminate works from any node');
  assert.match(text, /\/users\/alice\/unlock"/, 'a locked user is offered an unlock');
});

test('auditors see how to watch, never a form', async () => {
  const text = sessionActions(session(), await liveInfo(deps(), session()), auditor).text;
  assert.match(text, /Watch live/);
  assert.doesNotMatch(text, /<form/);
});
