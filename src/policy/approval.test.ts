// Just-in-time access, the pure part: a `requires: approval` rule gives nothing without an active approved request,
// says how to ask, names the request that expired; approvers are members of its groups, never the requester.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approverCheck, decide, requestableRule } from './engine.js';
import { parsePolicy } from './document.js';
import type { DecisionInput, PolicyDocument } from './types.js';

const doc = (yaml: string): PolicyDocument => {
  const p = parsePolicy(yaml);
  if (!p.ok) throw new Error(`${p.problem.where}: ${p.problem.message}`);
  return p.policy;
};

const policy = doc(`
groups:
  dba: [alice, carol]
  leads: [bob, alice]
rules:
  - name: db-jit
    effect: allow
    groups: [dba]
    targets: [db1]
    logins: [postgres]
    requires: approval
    approvers: [leads]
    approvals: 1
    maxDuration: 4h
`);

const at = new Date('2026-12-05T12:00:00Z');
const input: DecisionInput = { user: 'alice', userDisabled: false, sourceIp: '127.0.0.1', target: 'db1', login: 'postgres', action: 'shell', at, mfa: false };

test('without an approved request the rule gives nothing, and says how to ask', () => {
  const d = decide(input, policy, []);
  assert.equal(d.allow, false);
  assert.ok(!d.allow && d.needsRequest === 'db-jit');
  assert.match(d.reason, /rule 'db-jit' needs an approved access request: ask with 'ssh alice@bastion request db1 --login postgres/);
});

test('an active approved request allows, and the decision names it', () => {
  const d = decide(input, policy, [], [{ id: 7, target: 'db1', login: 'postgres', until: '2026-12-05T13:00:00Z' }]);
  assert.equal(d.allow, true);
  assert.ok(d.allow && d.request === 7);
  assert.match(d.reason, /access request #7/);
});

test('a request for another login or target does not count', () => {
  const d = decide(input, policy, [], [{ id: 7, target: 'db1', login: 'root', until: '2026-12-05T13:00:00Z' }, { id: 8, target: 'db2', login: 'postgres', until: '2026-12-05T13:00:00Z' }]);
  assert.equal(d.allow, false);
});

test('an expired request is named in the refusal', () => {
  const d = decide(input, policy, [], [{ id: 7, target: 'db1', login: 'postgres', until: '2026-12-05T11:59:59Z' }]);
  assert.equal(d.allow, false);
  assert.match(d.reason, /access request #7 expired at 2026-12-05T11:59:59Z/);
});

test('a grant still allows alone; a deny rule still wins over an approved request', () => {
  assert.equal(decide(input, policy, [{ target: 'db1', login: 'postgres' }]).allow, true);
  const denied = doc(`
groups: { dba: [alice], leads: [bob] }
rules:
  - { name: jit, effect: allow, groups: [dba], requires: approval, approvers: [leads] }
  - { name: freeze, effect: deny, users: ['*'], targets: [db1] }
`);
  assert.equal(decide(input, denied, [], [{ id: 1, target: 'db1', login: 'postgres', until: '2026-12-05T13:00:00Z' }]).allow, false);
});

test('requestableRule finds the rule by who, target and login', () => {
  assert.equal(requestableRule(policy, 'alice', 'db1', 'postgres')?.name, 'db-jit');
  assert.equal(requestableRule(policy, 'alice', 'db1', 'root'), undefined);
  assert.equal(requestableRule(policy, 'bob', 'db1', 'postgres'), undefined);
  assert.equal(requestableRule(policy, 'alice', 'web1', 'postgres'), undefined);
  assert.equal(requestableRule(policy, 'alice', 'db1', 'postgres')?.maxDuration, 4 * 3600);
});

test('approvers: a member of an approvers group, never the requester', () => {
  const rule = requestableRule(policy, 'alice', 'db1', 'postgres')!;
  assert.deepEqual(approverCheck(policy, rule, 'bob', 'alice'), { ok: true });
  assert.deepEqual(approverCheck(policy, rule, 'alice', 'alice'), { ok: false, why: 'nobody approves their own request' });
  const carol = approverCheck(policy, rule, 'carol', 'alice');
  assert.ok(!carol.ok && /not in an approvers group/.test(carol.why));
});

test('the policy file: requires approval needs approvers from defined groups, on an allow rule', () => {
  assert.equal(parsePolicy('groups: {a: [x]}\nrules:\n  - { name: r, effect: allow, groups: [a], requires: approval }\n').ok, false);
  assert.equal(parsePolicy('groups: {a: [x]}\nrules:\n  - { name: r, effect: allow, groups: [a], requires: approval, approvers: [nope] }\n').ok, false);
  assert.equal(parsePolicy('groups: {a: [x]}\nrules:\n  - { name: r, effect: deny, groups: [a], requires: approval, approvers: [a] }\n').ok, false);
  assert.equal(parsePolicy('groups: {a: [x]}\nrules:\n  - { name: r, effect: allow, groups: [a], requires: approval, approvers: [a], maxDuration: 5s }\n').ok, true);
});
