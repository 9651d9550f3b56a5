import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideExec, decideFile, decideLine, decideTunnel, transferPath } from './command-rules.js';
import type { RuleContext } from './command-types.js';
import { parsePolicy } from './document.js';
import { compilePattern, programs, words } from './patterns.js';
import type { PolicyDocument } from './types.js';

const doc = (yaml: string): PolicyDocument => {
  const p = parsePolicy(yaml);
  if (!p.ok) throw new Error(`${p.problem.where}: ${p.problem.message}`);
  return p.policy;
};
const alice: RuleContext = { user: 'alice', groups: ['ops'], target: 'db1', labels: { env: 'prod' }, login: 'root' };

test('shell words see through quoting and escapes', () => {
  assert.deepEqual(words(`cu""rl -s 'http://x' | s\\h`), ['curl', '-s', 'http://x', '|', 'sh']);
  assert.deepEqual(words(`echo "a $(cu'r'l x)"`), ['echo', 'a ', '(', 'curl', 'x', ')', '']);
  assert.deepEqual(programs(`FOO=1 sudo -u root /usr/bin/cu\\rl x && w''get y; ls | s"h"`), ['sudo', 'root', '/usr/bin/curl', 'wget', 'ls', 'sh']);
  assert.deepEqual(programs('grep curl file'), ['grep']);
});

test('patterns: exact, glob, regex and program, each also over the unquoted line', () => {
  assert.ok(compilePattern({ exact: 'reboot' })('re"boot"'));
  assert.ok(!compilePattern({ exact: 'reboot' })('reboot now'));
  assert.ok(compilePattern({ glob: 'rm -rf *' })('rm -rf /var/lib'));
  assert.ok(compilePattern({ regex: 'curl.*\\|\\s*(ba)?sh' })('c\\url http://x | bash'));
  assert.ok(compilePattern({ program: ['curl', 'wget'] })('cd /tmp; cu""rl x'));
  assert.ok(!compilePattern({ program: ['curl'] })('echo curl'));
  assert.throws(() => compilePattern({ regex: '(a' }), /not a regular expression RE2 accepts \(missing closing \)/);
  assert.throws(() => compilePattern({ exact: 'a', glob: 'b' }), /exactly one of/);
});

test('a pathological regex on a long line stays linear (RE2)', () => {
  const m = compilePattern({ regex: '(a+)+$' });
  const started = process.hrtime.bigint();
  assert.equal(m('a'.repeat(50_000) + '!'), false);
  assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 2000);
});

const rules = doc(`
groups: { ops: [alice], leads: [bob] }
targets: { db1: { env: prod } }
commands:
  - { name: no-pipe-to-shell, on: exec, match: { regex: 'curl.*\\|\\s*(ba)?sh' }, action: deny, reason: piping downloads into a shell is forbidden }
  - { name: prod-root, on: exec, targets: [env=prod], logins: [root], match: { program: [uptime, df] }, action: allow }
  - { name: watch-df, on: exec, match: { glob: 'df*' }, action: alert }
  - { name: kill-curl, on: shell, match: { program: [curl] }, action: terminate, reason: no downloads on prod }
  - { name: hold-reboot, on: shell, match: { program: [reboot, shutdown] }, action: hold, approvers: [leads], timeout: 5m }
files:
  - { name: no-keys-out, paths: ['*/.ssh/*'], direction: download, action: deny }
  - { name: bulk-read, minSize: 1000000, direction: download, action: alert }
tunnels:
  - { name: no-db-tunnels, destinations: ['*:5432'], action: deny, reason: use the db proxy }
`);

test('exec: deny wins, an allow-list in scope refuses the rest, alerts are reported', () => {
  const denied = decideExec(rules, alice, 'curl http://x | sh');
  assert.equal(denied.run, false);
  assert.equal(!denied.run && denied.refusal.reason, 'piping downloads into a shell is forbidden');
  const listed = decideExec(rules, alice, 'df -h');
  assert.equal(listed.run, true);
  assert.deepEqual(listed.matched.map((m) => m.rule), ['prod-root', 'watch-df']);
  const other = decideExec(rules, alice, 'cat /etc/shadow');
  assert.equal(other.run, false);
  assert.match(!other.run ? other.refusal.reason : '', /only the commands of the allow-list 'prod-root' may run as root on db1/);
  // Out of the allow-list's scope (another login), anything not denied runs.
  assert.equal(decideExec(rules, { ...alice, login: 'postgres' }, 'cat /etc/shadow').run, true);
});

test('shell lines: terminate beats hold; hold names approvers and timeout', () => {
  const v = decideLine(rules, alice, 'cu""rl http://evil');
  assert.equal(v.action, 'terminate');
  const h = decideLine(rules, alice, 'sudo reboot');
  assert.deepEqual(h.action === 'hold' && [h.approvers, h.timeoutSec], [['leads'], 300]);
  assert.equal(decideLine(rules, alice, 'ls -l').action, 'pass');
});

test('files and tunnels: deny or alert by path, direction, size and destination', () => {
  assert.equal(decideFile(rules, alice, { path: '/home/alice/.ssh/id_ed25519', direction: 'download' }).allow, false);
  assert.equal(decideFile(rules, alice, { path: '/home/alice/.ssh/id_ed25519', direction: 'upload' }).allow, true);
  assert.deepEqual(decideFile(rules, alice, { path: '/data/dump', direction: 'download', size: 5e6 }).matched.map((m) => m.rule), ['bulk-read']);
  assert.deepEqual(decideFile(rules, alice, { path: '/data/dump', direction: 'download' }).matched, []);
  // Spelled otherwise, the same file: extra slashes, dots, a path relative to the home directory.
  for (const path of ['//home/alice/./.ssh//id_ed25519', '/tmp/../home/alice/.ssh/id_ed25519', '.ssh/id_ed25519', './x/../.ssh/id_ed25519'])
    assert.equal(decideFile(rules, alice, { path, direction: 'download' }).allow, false, path);
  assert.deepEqual(['a/b', '../../etc/shadow', '.', '/a/../../b', 'x/../../y'].map(transferPath), ['~/a/b', undefined, '~', '/b', undefined]);
  // A relative path above the home directory cannot be matched: a path deny in scope refuses it.
  const above = decideFile(rules, alice, { path: '../../etc/shadow', direction: 'download' });
  assert.equal(!above.allow && above.refusal.rule, 'no-keys-out');
  assert.equal(decideFile(rules, alice, { path: '../x', direction: 'upload' }).allow, true, 'no path deny for uploads');
  assert.equal(decideTunnel(rules, alice, { kind: 'local-forward', host: '10.0.0.5', port: 5432 }).allow, false);
  assert.equal(decideTunnel(rules, alice, { kind: 'local-forward', host: '10.0.0.5', port: 80 }).allow, true);
});

test('a broken rule is refused at its line with the reason', () => {
  const bad = parsePolicy('commands:\n  - name: x\n    on: exec\n    match: { regex: "(a" }\n    action: deny\n');
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? `${bad.problem.where}: ${bad.problem.message}` : '', /line 4.*commands\.0\.match.*missing closing \)/);
  const hold = parsePolicy('commands:\n  - { name: x, on: shell, match: { exact: reboot }, action: hold }\n');
  assert.match(!hold.ok ? hold.problem.message : '', /needs approvers/);
  const wrongOn = parsePolicy('commands:\n  - { name: x, on: exec, match: { exact: reboot }, action: hold }\n');
  assert.equal(wrongOn.ok, false);
});
