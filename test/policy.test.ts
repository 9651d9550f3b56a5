// Policy rules with a real ssh client: groups, source addresses, channel types, time windows, explicit denies,
// `policy check`, `apply -f` refusing a bad file by line, and a policy change ending a live session.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

const today = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][new Date().getUTCDay()]!;
const notToday = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'].filter((d) => d !== today);

const POLICY = `
# who may reach what, kept in version control
groups:
  ops: [alice, carol]
targets:
  web1: { env: staging }
rules:
  - name: ops-staging
    effect: allow
    groups: [ops]
    targets: [env=staging]
    logins: [${LOGIN}]
    actions: [shell, exec]
    from: [127.0.0.1/32]
  - name: dave-never-today
    effect: allow
    users: [dave]
    targets: [web1]
    time: { days: [${notToday.join(', ')}], timezone: UTC }
  - name: carol-blocked
    effect: deny
    users: [carol]
    targets: ["web*"]
`;

describe('policy', () => {
  const b = new Bastion();
  let web1: Target;
  const keys: Record<string, string> = {};
  const cfg = (u: string, extra: string[] = []) => b.sshConfig(u, keys[u]!, { web1: LOGIN }, extra);

  before(async () => {
    await b.init();
    web1 = await b.addTarget('web1');
    for (const u of ['alice', 'carol', 'dave']) keys[u] = await b.addUser(u);
    assert.match((await b.applyPolicy(POLICY)).stdout, /applied .*\.yaml: 3 rule\(s\), 1 group\(s\)/);
    await b.start();
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
  });

  test('allowed by group and label; sftp is not among the rule actions', async () => {
    const ok = await ssh(cfg('alice'), ['web1', 'echo in']);
    assert.equal(ok.code, 0, ok.stderr);
    const sftp = await run('sftp', ['-F', cfg('alice'), '-b', '/dev/null', 'web1'], { timeoutMs: 30_000 });
    assert.notEqual(sftp.code, 0);
    assert.match(sftp.stderr, /sftp is not allowed by rule 'ops-staging' \(ACCESS_DENIED\)/);
  });

  test('source address outside the rule, explicit deny, time window', async () => {
    const elsewhere = await ssh(cfg('alice', ['BindAddress 127.0.0.5']), ['-l', 'web1', 'bastion', 'true']);
    assert.match(elsewhere.stderr, /connections from 127\.0\.0\.5 are not allowed by rule 'ops-staging' \(ACCESS_DENIED\)/);
    assert.match((await ssh(cfg('carol'), ['web1', 'true'])).stderr, /access denied: denied by rule 'carol-blocked'/);
    assert.match((await ssh(cfg('dave'), ['web1', 'true'])).stderr, new RegExp(`not on ${today} \\(rule 'dave-never-today'`));
    const denials = b.events('PolicyDenied').map((e) => e.reason);
    assert.equal(denials.length, 4);
  });

  test('policy check explains decisions, including at another time and from another address', async () => {
    let r = await b.cli(['policy', 'check', 'alice', 'web1', '--action', 'exec']);
    assert.equal(r.stdout.trim(), "ALLOW: allowed by rule 'ops-staging'");
    r = await b.cli(['policy', 'check', 'alice', 'web1', '--from', '10.0.0.1'], true);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /^DENY: connections from 10\.0\.0\.1 are not allowed by rule 'ops-staging'/);
    const nextDay = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    r = await b.cli(['policy', 'check', 'dave', 'web1', '--at', nextDay]);
    assert.match(r.stdout, /^ALLOW: allowed by rule 'dave-never-today'/);
    r = await b.cli(['policy', 'check', 'alice', 'web1', '--action', 'teleport'], true);
    assert.match(r.stderr, /--action must be one of shell, exec, sftp/);
  });

  test('a bad policy file is refused with its line and field, and nothing changes', async () => {
    const bad = join(b.dir, 'bad.yaml');
    writeFileSync(bad, POLICY.replace('from: [127.0.0.1/32]', 'from: [127.0.0.1/40]'));
    const r = await b.cli(['apply', '-f', bad], true);
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^fumidai: .*bad\.yaml: line 14, field rules\.0\.from\.0: an IPv4 or IPv6 address or CIDR, e\.g\. 10\.0\.0\.0\/8 or 2001:db8::\/32; nothing was applied \(POLICY_INVALID\)$/);
    assert.match((await b.cli(['policy', 'show'])).stdout, /from: \[127\.0\.0\.1\/32\]/);
  });

  test('a policy change that now denies ends a live session at once', async () => {
    const live = ssh(cfg('alice'), ['web1', 'echo started; sleep 30'], { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    const file = join(b.dir, 'policy2.yaml');
    writeFileSync(file, POLICY.replace('groups: [ops]\n    targets: [env=staging]', 'groups: [ops]\n    targets: [env=prod]'));
    await b.cli(['apply', '-f', file]);
    const t0 = Date.now();
    const r = await live;
    assert.equal(r.stdout, 'started\n');
    assert.match(r.stderr, /fumidai: session ended, access revoked: user 'alice' has no access to 'web1' \(ACCESS_REVOKED\)/);
    assert.ok(Date.now() - t0 < 3000);
  });

  test('names that match nothing are applied with a warning at their own line; an unknown field is refused at its own line; remove', async () => {
    const typo = join(b.dir, 'typo.yaml');
    writeFileSync(typo, POLICY.replace('targets: [env=staging]', 'targets: [env=stagign]').replace('groups:\n  ops: [alice, carol]', 'groups:\n  ops: [alice, carol, zoe]').replace('    users: [dave]\n', '    users: [dave]\n    idleTimeout: 600\n'));
    const r = await b.cli(['apply', '-f', typo]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `warning: ${typo}: line 4, field groups.ops.2: user 'zoe' does not exist`,
      `warning: ${typo}: line 11, field rules.0.targets.0: 'env=stagign' matches no target (no target has that label under targets:): rule 'ops-staging' never applies there`,
    ]);
    const check = await b.cli(['policy', 'check', 'carol', 'web1', '--at', new Date(Date.now() + 86_400_000).toISOString()], true);
    assert.match(check.stderr, /^warning: applied policy, line 11, field rules\.0\.targets\.0: 'env=stagign' matches no target/m);
    const limits = await b.cli(['policy', 'check', 'dave', 'web1', '--at', new Date(Date.now() + 86_400_000).toISOString()], true);
    assert.match(limits.stdout, /^limits: idle timeout 600s, max session length none$/m);

    const unknown = join(b.dir, 'unknown.yaml');
    writeFileSync(unknown, POLICY.replace('    logins: [', '    login: [fumidaitest]\n    logins: ['));
    const u = await b.cli(['apply', '-f', unknown], true);
    assert.match(u.stderr.trim(), /line 12, field rules\.0: unknown field 'login'; nothing was applied \(POLICY_INVALID\)$/);

    assert.equal((await b.cli(['policy', 'remove'])).stdout.trim(), 'removed the policy: grants only (deny by default)');
    assert.match((await b.cli(['policy', 'show'])).stdout, /^# no policy applied/);
    assert.equal((await b.cli(['policy', 'check', 'alice', 'web1'], true)).code, 2, 'deny by default without a policy or a grant');
  });
});
