import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveRules, evaluate, insideHours, RuleState, type AlertInput } from './rules.js';

const at = (name: string, extra: Partial<AlertInput> = {}): AlertInput => ({ name, time: '2026-12-07T03:00:00Z', result: 'success', ...extra });
const rules = effectiveRules({});
const names = (input: AlertInput, facts = {}, state = new RuleState(), now = 0) => evaluate(rules, input, facts, state, now).map((h) => h.rule);

test('auth failures: the fifth from one address within the window fires, "none" probes do not count, older ones fall out', () => {
  const state = new RuleState();
  const fail = at('AuthFailure', { result: 'failure', sourceIp: '10.0.0.9', details: { method: 'publickey' } });
  for (let i = 0; i < 10; i++) assert.deepEqual(names(at('AuthFailure', { result: 'failure', sourceIp: '10.0.0.9', details: { method: 'none' } }), {}, state, i), []);
  for (let i = 0; i < 4; i++) assert.deepEqual(names(fail, {}, state, i * 1000), []);
  assert.deepEqual(names(fail, {}, state, 5000), ['auth-failures-address']);
  const later = new RuleState();
  for (let i = 0; i < 5; i++) assert.deepEqual(names(fail, {}, later, i * 20_000), []); // spread over 80 s: never 5 in 60 s
});

test('new address: only for a user with history, and only past the days', () => {
  const login = at('AuthSuccess', { user: 'alice', sourceIp: '192.0.2.1' });
  assert.deepEqual(names(login, { lastFromAddress: { at: null, known: false } }), []);
  assert.deepEqual(names(login, { lastFromAddress: { at: null, known: true } }), ['new-address']);
  assert.deepEqual(names(login, { lastFromAddress: { at: -31 * 86_400_000, known: true } }), ['new-address']);
  assert.deepEqual(names(login, { lastFromAddress: { at: -29 * 86_400_000, known: true } }), []);
});

test('sudo and su as a command word (exec or a matched shell line), not inside another word', () => {
  const exec = (command: string) => names(at('ChannelOpen', { sessionId: 's', details: { channelType: 'exec', command, pty: false } }));
  assert.deepEqual(exec('sudo -i'), ['sudo']);
  assert.deepEqual(exec('ls; /usr/bin/su - root'), ['sudo']);
  assert.deepEqual(exec('env X=1 sudo id'.replace('X=1 ', '')), ['sudo']);
  assert.deepEqual(exec('echo sudo'), []);
  assert.deepEqual(exec('pseudo'), []);
  assert.deepEqual(names(at('CommandMatched', { sessionId: 's', details: { rule: 'r', action: 'alert', on: 'shell', line: 'sudo su' } })), ['sudo', 'command-matched']);
});

test('bulk read fires once per session past the file count', () => {
  const state = new RuleState();
  const read = at('FileTransfer', { sessionId: 's1', details: { op: 'read', path: '/x', bytes: 10 } });
  const fired = Array.from({ length: 150 }, (_, i) => names(read, {}, state, i)).flat();
  assert.deepEqual(fired, ['bulk-read']);
});

test('control failures: each is an alert; a repaired recording or a cleared backlog is not', () => {
  assert.deepEqual(names(at('AuditWriteFailed', { result: 'failure' })), ['control-failures']);
  assert.deepEqual(names(at('RecordingFailed', { result: 'failure' })), ['control-failures']);
  assert.deepEqual(names(at('AnchorBacklog', { details: { state: 'cleared' } })), []);
  assert.deepEqual(names(at('RecordingInterrupted', { result: 'success' })), []);
  assert.deepEqual(names(at('AlertDeliveryFailure', { result: 'failure' })), []);
});

test('labelled targets, port forwards, and the config changing a built-in or adding a rule', () => {
  assert.deepEqual(names(at('TargetConnect', { sessionId: 's', target: 'db' }), { labels: { env: 'prod' } }), ['labelled-target']);
  assert.deepEqual(names(at('TargetConnect', { sessionId: 's', target: 'db' }), { labels: { env: 'dev' } }), []);
  assert.deepEqual(names(at('PortForward', { sessionId: 's', details: { direction: 'local', destination: 'db:5432' } })), ['port-forward']);
  const custom = effectiveRules({ 'port-forward': { enabled: false }, denied: { kind: 'event', events: ['PolicyDenied'] } });
  assert.deepEqual(evaluate(custom, at('PortForward', { details: {} }), {}, new RuleState(), 0), []);
  assert.deepEqual(evaluate(custom, at('PolicyDenied', { result: 'failure' }), {}, new RuleState(), 0).map((h) => h.rule), ['denied']);
  assert.throws(() => effectiveRules({ nokind: { threshold: 3 } }), /needs a kind/);
});

test('hours: weekdays, and a window over midnight', () => {
  assert.equal(insideHours(new Date('2026-12-07T08:00:00Z'), '07:00-19:00', [1]), true); // a Monday
  assert.equal(insideHours(new Date('2026-12-07T03:00:00Z'), '07:00-19:00', [1]), false);
  assert.equal(insideHours(new Date('2026-12-06T08:00:00Z'), '07:00-19:00', [1]), false); // Sunday
  assert.equal(insideHours(new Date('2026-12-07T23:00:00Z'), '22:00-06:00', [1]), true);
});

test('keys hold no NUL (PostgreSQL text refuses it); matches of two command rules in one session are two keys', () => {
  const matched = (rule: string) => evaluate(rules, at('CommandMatched', { sessionId: 's', details: { rule, action: 'alert', on: 'shell', line: 'curl x' } }), {}, new RuleState(), 0)[0]!.key;
  assert.notEqual(matched('a'), matched('b'));
  const fresh = evaluate(rules, at('AuthSuccess', { user: 'alice', sourceIp: '192.0.2.1' }), { lastFromAddress: { at: null, known: true } }, new RuleState(), 0)[0]!;
  assert.ok(![matched('a'), fresh.key].some((k) => k.includes('\0')));
});
