import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IdpLogin } from '../identity/oidc.js';
import { SsoGrants } from './sso-grants.js';

const COOKIE = 'a'.repeat(43);
const login = (groups: string[]): IdpLogin => ({ identity: { issuer: 'https://idp', sub: 's1', groups, policyGroups: [] }, accessToken: 'at', checkedAt: 0 });

function grants(answer: () => Promise<string | undefined>) {
  const events: { name: string; details: Record<string, unknown> }[] = [];
  const closed: string[] = [];
  let asked = 0;
  const g = new SsoGrants({
    idp: { recheck: async () => (asked++, answer()) },
    roles: () => ({ admin: ['sec'], auditor: ['ops'] }),
    audit: { record: async (name: string, _ctx: unknown, details: Record<string, unknown>) => void events.push({ name, details }) } as never,
    close: async (c) => void closed.push(c),
  });
  return { g, events, closed, asked: () => asked };
}
const session = { name: 'alice', role: 'auditor' as const, lastSeen: 0, via: 'sso' as const };

test('SsoGrants: no grant on this node (another node, a restart) ends the session: fail closed, with the reason kept once', async () => {
  const t = grants(async () => undefined);
  assert.equal(await t.g.vouch(COOKIE, session), undefined);
  assert.deepEqual(t.closed, [COOKIE]);
  assert.equal(t.events[0]!.name, 'ConsoleSsoEnded');
  assert.match(t.g.endedWhy(COOKIE)!, /^Signed out: single sign-on: this node holds no IdP grant/);
  assert.equal(t.g.endedWhy(COOKIE), undefined, 'taken once');
});

test('SsoGrants: one re-check at a time per session; a refusal ends it; logout forgets the grant', async () => {
  let release!: (v: string | undefined) => void;
  const t = grants(() => new Promise((r) => (release = r)));
  t.g.add(COOKIE, 'alice', 'auditor', login(['ops']));
  const a = t.g.vouch(COOKIE, session);
  const b = t.g.vouch(COOKIE, session);
  release('single sign-on: the IdP no longer accepts this login (invalid_token)');
  assert.deepEqual(await Promise.all([a, b]), [undefined, undefined]);
  assert.equal(t.asked(), 1);
  assert.equal(t.closed.length, 1);
  const u = grants(async () => undefined);
  u.g.add(COOKIE, 'alice', 'auditor', login(['ops']));
  assert.equal((await u.g.vouch(COOKIE, session))?.role, 'auditor');
  u.g.forget(COOKIE);
  assert.equal(await u.g.vouch(COOKIE, session), undefined);
});
