import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, inCidrs } from './engine.js';
import { parsePolicy } from './document.js';
import { ACTIONS, type DecisionInput, type PolicyDocument } from './types.js';

const doc = (yaml: string): PolicyDocument => {
  const p = parsePolicy(yaml);
  if (!p.ok) throw new Error(`${p.problem.where}: ${p.problem.message}`);
  return p.policy;
};

const policy = doc(`
groups:
  ops: [alice, carol]
  contractors: [dave]
targets:
  db1: { env: prod }
  web1: { env: staging }
rules:
  - name: ops-prod
    effect: allow
    groups: [ops]
    targets: [env=prod]
    logins: [postgres]
    actions: [shell, exec, sftp, agent-forward]
    from: [10.0.0.0/8, "2001:db8::/32"]
    mfa: true
    idleTimeout: 300
  - name: office-hours
    effect: allow
    groups: [contractors]
    targets: ["web*"]
    time: { days: [mon, tue, wed, thu, fri], hours: "08:00-18:00", timezone: Europe/Paris }
    maxSessionLength: 3600
  - name: no-carol-on-db
    effect: deny
    users: [carol]
    targets: [db1]
  - name: forwarders
    effect: allow
    users: [erin]
    targets: [web1]
    actions: [local-forward]
`);

// 2026-11-25 is a Wednesday; 10:00 UTC is 11:00 in Paris.
const base: DecisionInput = { user: 'alice', userDisabled: false, sourceIp: '10.1.2.3', target: 'db1', login: 'postgres', action: 'shell', at: new Date('2026-11-25T10:00:00Z'), mfa: true };

test('policy engine: every rule kind, allowing and denying', () => {
  const cases: [string, Partial<DecisionInput>, boolean, RegExp][] = [
    ['group + label + login + action + cidr + mfa', {}, true, /allowed by rule 'ops-prod'/],
    ['IPv6 source in the allow list', { sourceIp: '2001:db8::7' }, true, /ops-prod/],
    ['IPv4-mapped IPv6 source', { sourceIp: '::ffff:10.9.9.9' }, true, /ops-prod/],
    ['source outside the allow list', { sourceIp: '192.168.1.5' }, false, /connections from 192\.168\.1\.5 are not allowed by rule 'ops-prod'/],
    ['login not in the rule', { login: 'root' }, false, /login 'root' is not one of rule 'ops-prod'/],
    ['action not in the rule', { action: 'x11' }, false, /x11 is not allowed by rule 'ops-prod'/],
    ['agent forwarding allowed by the rule', { action: 'agent-forward' }, true, /ops-prod/],
    ['mfa required but not given', { mfa: false }, false, /requires a second factor/],
    ['label does not match', { target: 'web1' }, false, /has no access to 'web1'/],
    ['explicit deny wins', { user: 'carol' }, false, /denied by rule 'no-carol-on-db'/],
    ['not in any group, no grant', { user: 'mallory' }, false, /has no access to 'db1'/],
    ['time window: inside', { user: 'dave', target: 'web2', login: 'x' }, true, /office-hours/],
    ['time window: wrong hour', { user: 'dave', target: 'web2', login: 'x', at: new Date('2026-11-25T18:30:00Z') }, false, /outside 08:00-18:00 Europe\/Paris/],
    ['time window: weekend', { user: 'dave', target: 'web2', login: 'x', at: new Date('2026-11-28T10:00:00Z') }, false, /not on sat/],
    ['glob target', { user: 'dave', target: 'db2', login: 'x' }, false, /has no access/],
    ['forwarding only where a rule allows it', { user: 'erin', target: 'web1', login: 'x', action: 'local-forward' }, true, /forwarders/],
    ['a rule for forwarding gives no shell', { user: 'erin', target: 'web1', login: 'x' }, false, /shell is not allowed by rule 'forwarders'/],
    ['disabled user', { userDisabled: true }, false, /disabled/],
  ];
  for (const [name, patch, allow, reason] of cases) {
    const d = decide({ ...base, ...patch }, policy, []);
    assert.equal(d.allow, allow, `${name}: ${d.reason}`);
    assert.match(d.reason, reason, name);
  }
});

test('policy engine: limits come from the matching rules', () => {
  const d = decide(base, policy, []);
  assert.deepEqual(d.allow && d.limits, { idleTimeoutSec: 300, maxSessionSec: undefined });
  const c = decide({ ...base, user: 'dave', target: 'web2', login: 'x' }, policy, []);
  assert.deepEqual(c.allow && c.limits, { idleTimeoutSec: undefined, maxSessionSec: 3600 });
});

test('policy engine: grants allow shell/exec/sftp and agent forwarding, not port forwarding; deny rules still win over grants', () => {
  const grants = [{ target: 'db1', login: 'postgres' }];
  assert.equal(decide({ ...base, user: 'bob', sourceIp: '1.2.3.4' }, policy, grants).allow, true);
  assert.equal(decide({ ...base, user: 'bob', action: 'sftp' }, policy, grants).allow, true);
  assert.equal(decide({ ...base, user: 'bob', action: 'agent-forward' }, policy, grants).allow, true);
  assert.match(decide({ ...base, user: 'bob', action: 'local-forward' }, policy, grants).reason, /not part of a grant/);
  assert.match(decide({ ...base, user: 'carol' }, policy, grants).reason, /denied by rule 'no-carol-on-db'/);
  assert.match(decide({ ...base, user: 'bob', login: 'root' }, policy, grants).reason, /may not log in as 'root'/);
});

test('policy engine: a deny without actions denies every action, over allows that list them and over grants', () => {
  const p = doc(`
groups:
  contractors: [dave]
targets:
  db1: { env: prod }
rules:
  - name: dave-everything
    effect: allow
    users: [dave]
    targets: [db1]
    actions: [${ACTIONS.join(', ')}]
  - name: no-contractors-on-prod
    effect: deny
    groups: [contractors]
    targets: [env=prod]
`);
  const dave = { ...base, user: 'dave' };
  const grants = [{ target: 'db1', login: '*' }];
  for (const action of ACTIONS) {
    for (const g of [[], grants]) {
      const d = decide({ ...dave, action }, p, g);
      assert.equal(d.allow, false, `${action} (${g.length} grants): ${d.reason}`);
      assert.match(d.reason, /denied by rule 'no-contractors-on-prod'/, action);
    }
    // Elsewhere the allow still holds, and the deny binds only its group.
    assert.equal(decide({ ...dave, action, target: 'web1' }, { ...p, rules: [{ ...p.rules[0]!, targets: ['*'] }, p.rules[1]!] }, []).allow, true, action);
  }
});

test('policy engine: an allow without actions still means shell, exec and sftp only', () => {
  const p = doc('rules:\n  - name: plain\n    effect: allow\n    users: [erin]\n');
  const allowed = ACTIONS.filter((action) => decide({ ...base, user: 'erin', action }, p, []).allow);
  assert.deepEqual(allowed, ['shell', 'exec', 'sftp']);
});

test('policy engine: a deny that lists actions denies only those', () => {
  const p = doc('rules:\n  - name: all\n    effect: allow\n    users: [erin]\n    actions: [shell, local-forward]\n  - name: no-tunnels\n    effect: deny\n    users: [erin]\n    actions: [local-forward]\n');
  assert.equal(decide({ ...base, user: 'erin' }, p, []).allow, true);
  assert.match(decide({ ...base, user: 'erin', action: 'local-forward' }, p, []).reason, /denied by rule 'no-tunnels'/);
});

test('cidr matching', () => {
  assert.ok(inCidrs('10.0.0.1', ['10.0.0.0/8']));
  assert.ok(!inCidrs('11.0.0.1', ['10.0.0.0/8']));
  assert.ok(inCidrs('192.0.2.7', ['192.0.2.7']));
  assert.ok(!inCidrs('not-an-ip', ['0.0.0.0/0']));
});

test('policy file errors name the line and field', () => {
  const cases: [string, RegExp][] = [
    ['rules:\n  - name: a\n    effect: allow\n    users: [x]\n    from: [10.0.0.0/33]\n', /^line 5, field rules\.0\.from\.0: an IPv4 or IPv6 address or CIDR/],
    ['rules:\n  - name: a\n    effect: maybe\n    users: [x]\n', /^line 3, field rules\.0\.effect: /],
    ['rules:\n  - name: a\n    effect: allow\n    groups: [ghosts]\n', /^line 4, field rules\.0\.groups: group 'ghosts' is not defined/],
    ['rules:\n  - name: a\n    effect: allow\n    users: [x]\n    colour: red\n', /^line 5, field rules\.0: unknown field 'colour'/],
    ['rules:\n  - name: a\n    effect: allow\n    users: [x]\n    time: { hours: "8-18" }\n', /^line 5, field rules\.0\.time\.hours: HH:MM-HH:MM/],
    ['rules: [\n', /^line \d+: /],
  ];
  for (const [yaml, expected] of cases) {
    const p = parsePolicy(yaml);
    assert.equal(p.ok, false, yaml);
    if (!p.ok) assert.match(`${p.problem.where}: ${p.problem.message}`, expected, yaml);
  }
});
