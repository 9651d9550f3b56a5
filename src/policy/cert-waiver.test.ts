// A rule's own certificate waiver: `mfa: true` plus `waiveWithCertificate` lets a certificate stand in for the code on
// that rule's targets only; a login that skipped the code reaches nothing else (other rules, grants); the schema
// keeps the waiver on allow rules that ask for the second factor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, someRuleWaivesMfa, certificateWaivesMfa } from './engine.js';
import { parsePolicy } from './document.js';
import { policyWarnings } from './lint.js';
import type { DecisionInput, PolicyDocument } from './types.js';

const doc = (yaml: string): PolicyDocument => {
  const p = parsePolicy(yaml);
  if (!p.ok) throw new Error(`${p.problem.where}: ${p.problem.message}`);
  return p.policy;
};

const policy = doc(`
groups:
  ops: [alice]
targets:
  s1: { env: staging }
  s2: { env: staging }
  p1: { env: prod }
  t1: { env: test }
rules:
  - name: staging-ansible
    effect: allow
    groups: [ops]
    targets: [env=staging]
    mfa: true
    waiveWithCertificate: true
  - name: test-vault
    effect: allow
    groups: [ops]
    targets: [env=test]
    mfa: true
    waiveWithCertificate: any-trusted-ca
  - name: prod
    effect: allow
    groups: [ops]
    targets: [env=prod]
    mfa: true
  - name: lab
    effect: allow
    groups: [ops]
    targets: [lab*]
`);

const input = (target: string, over: Partial<DecisionInput> = {}): DecisionInput => ({ user: 'alice', userDisabled: false, sourceIp: '10.0.0.1', target, login: 'deploy', action: 'exec', at: new Date('2026-03-04T10:00:00Z'), mfa: false, ...over });
const own = { certificate: 'own' as const, codeSkipped: true };
const vault = { certificate: 'trusted' as const, codeSkipped: true };

test("a rule's waiver: fumidai's certificate stands in for the code on staging, not on prod", () => {
  const staging = decide(input('s1', own), policy, []);
  assert.equal(staging.allow, true);
  assert.equal(staging.reason, "allowed by rule 'staging-ansible' (a certificate in place of the second factor)");
  const prod = decide(input('p1', own), policy, []);
  assert.equal(prod.allow, false);
  assert.match(prod.reason, /^rule 'prod' requires a second factor \(TOTP\), which a certificate does not replace there: log in without the certificate/);
  assert.equal(decide(input('p1', { mfa: true, certificate: 'own' }), policy, []).allow, true, 'key, certificate and code: prod as before');
  assert.equal(decide(input('s1'), policy, []).allow, false, 'no certificate, no code: refused as before');
  assert.equal(decide(input('s1', { mfa: true }), policy, []).reason, "allowed by rule 'staging-ansible'");
});

test("`true` is for fumidai's own CA; any-trusted-ca takes another CA's too", () => {
  assert.equal(decide(input('s1', vault), policy, []).allow, false, "staging waives for fumidai's certificates only");
  assert.equal(decide(input('t1', vault), policy, []).allow, true);
  assert.equal(decide(input('t1', own), policy, []).allow, true);
  assert.equal(someRuleWaivesMfa(policy, true), true);
  assert.equal(someRuleWaivesMfa(policy, false), true);
  assert.equal(someRuleWaivesMfa(doc('rules: []'), true), false);
  assert.equal(someRuleWaivesMfa(doc(`groups: { ops: [alice] }\nrules:\n  - { name: s, effect: allow, groups: [ops], mfa: true, waiveWithCertificate: true }\n`), false), false);
  assert.equal(certificateWaivesMfa(policy, true), false, 'no global waiver here');
});

test('a login that skipped the code reaches only rules that waive it: not rules without mfa, not grants', () => {
  const lab = decide(input('lab1', own), policy, []);
  assert.equal(lab.allow, false);
  assert.match(lab.reason, /^rule 'lab' requires a second factor \(TOTP\), which a certificate does not replace there/);
  assert.equal(decide(input('lab1'), policy, []).allow, true, 'a login that was never asked for a code: as before');
  assert.equal(decide(input('lab1', { certificate: 'own' }), policy, []).allow, true, 'a certificate login that was never asked for a code: as before');
  const granted = decide(input('g1', own), policy, [{ target: 'g1', login: 'deploy' }]);
  assert.equal(granted.allow, false);
  assert.equal(granted.reason, 'a grant needs a login with the second factor (TOTP); this one skipped it for a certificate');
  assert.equal(decide(input('g1'), policy, [{ target: 'g1', login: 'deploy' }]).allow, true);
});

test('the schema: the waiver is for an allow rule with mfa: true', () => {
  const bad = (rule: string) => parsePolicy(`groups: { ops: [alice] }\nrules:\n  - ${rule}\n`);
  for (const rule of ['{ name: a, effect: allow, groups: [ops], waiveWithCertificate: true }', '{ name: a, effect: deny, groups: [ops], mfa: true, waiveWithCertificate: true }']) {
    const p = bad(rule);
    assert.equal(p.ok, false, rule);
    if (!p.ok) assert.match(p.problem.message, /'waiveWithCertificate' is for an allow rule with 'mfa: true'/);
  }
  const other = bad('{ name: a, effect: allow, groups: [ops], mfa: true, waiveWithCertificate: some-ca }');
  assert.equal(other.ok, false);
  assert.equal(bad('{ name: a, effect: allow, groups: [ops], mfa: true, waiveWithCertificate: any-trusted-ca }').ok, true);
});

test('lint: a waiver on a rule that names no targets is a warning', () => {
  const p = doc(`groups: { ops: [alice] }\nrules:\n  - { name: all, effect: allow, groups: [ops], mfa: true, waiveWithCertificate: true }\n`);
  assert.deepEqual(policyWarnings(p, { users: ['alice'], targets: [] }), [{ path: ['rules', 0, 'waiveWithCertificate'], message: "rule 'all' names no targets: a certificate stands in for the second factor on every target" }]);
  assert.deepEqual(policyWarnings(policy, { users: ['alice'], targets: ['s1', 's2', 'p1', 't1', 'lab1'] }), []);
});
