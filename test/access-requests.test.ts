// Just-in-time access with real OpenSSH clients through fumidai to a real sshd: under a `requires: approval` rule
// alice is refused and told how to ask; she asks with a reason over SSH; her own approval is refused; bob (approvers
// group, key and TOTP) approves over SSH; her live shell ends when the approved time runs out, with a line naming the
// request; an approval after a pending request expired is refused, and its end is in the trail; an approved access
// nobody used gets its AccessExpired all the same, once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Bastion, ssh } from './helpers/fumidai.js';
import { freshStep, totp } from './helpers/certs.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { readTrail } from './helpers/web-console.js';

const TICKING = 'echo started; while :; do echo tick; sleep 0.2; done';
/** The longest access a request gets in this test (the rule's maxDuration), and how long a request waits. */
const ACCESS_SEC = 8;
const PENDING_SEC = 10;

describe('access requests', () => {
  const b = new Bastion();
  let db1: Target;
  const keys: Record<string, string> = {};
  let bobSecret = '';
  const cfg = (u: string) => b.sshConfig(u, keys[u]!, { db1: LOGIN });
  /** `ssh bob@bastion WORDS` after bob's key and TOTP code. */
  const asBob = async (words: string[]) => {
    const c = b.sshConfig('bob', keys.bob!, {}, ['BatchMode no', 'NumberOfPasswordPrompts 1']);
    return run('sshpass', ['-P', 'Verification code', '-p', await totp(bobSecret), 'ssh', '-F', c, 'bastion', ...words], { timeoutMs: 30_000 });
  };

  before(async () => {
    await b.init({ 'recheckInterval: 60': 'recheckInterval: 1', 'pendingFor: 1h': `pendingFor: ${PENDING_SEC}s` });
    db1 = await b.addTarget('db1');
    for (const u of ['alice', 'bob', 'carol']) keys[u] = await b.addUser(u);
    bobSecret = /secret=([A-Z2-7]+)/.exec((await b.cli(['mfa', 'enroll', 'bob'])).stdout)![1]!;
    const applied = await b.applyPolicy(`
groups:
  dba: [alice, carol]
  leads: [bob, alice]
rules:
  - name: db-jit
    effect: allow
    groups: [dba]
    targets: [db1]
    logins: [${LOGIN}]
    requires: approval
    approvers: [leads]
    maxDuration: ${ACCESS_SEC}s
`);
    assert.equal(applied.code, 0, applied.stderr);
    await b.start();
  });
  after(async () => {
    await b.stop();
    await db1?.stop();
  });

  test('refused and told how to ask; a request; no self-approval; approved by bob; the access ends, naming the request', { timeout: 90_000 }, async () => {
    const refused = await ssh(cfg('alice'), ['db1', 'echo in'], { timeoutMs: 20_000 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`fumidai: access denied: rule 'db-jit' needs an approved access request: ask with 'ssh alice@bastion request db1 --login ${LOGIN} --for DURATION --reason WHY' \\(ACCESS_DENIED\\)`));

    const noReason = await ssh(cfg('alice'), ['bastion', 'request', 'db1', '--for', '1h']);
    assert.equal(noReason.code, 1);
    assert.match(noReason.stderr, /fumidai: access request refused: a reason is required; usage: request TARGET/);

    await freshStep(20); // bob's code, computed below, must hold through the approval
    const asked = await ssh(cfg('alice'), ['bastion', 'request', 'db1', '--login', LOGIN, '--for', '2h', '--reason', 'INC-1234', 'db', 'down']);
    assert.equal(asked.code, 0, asked.stderr);
    const id = /^access request #(\d+): /.exec(asked.stdout)?.[1];
    assert.ok(id, asked.stdout);
    assert.match(asked.stdout, new RegExp(`${LOGIN}@db1 for ${ACCESS_SEC}s \\(--for capped at rule 'db-jit' maxDuration ${ACCESS_SEC}s\\), reason: INC-1234 db down`));
    assert.match(asked.stdout, /waiting for 1 approval\(s\) from group\(s\) leads \(not yourself\)/);
    const mine = await ssh(cfg('alice'), ['bastion', 'requests']);
    assert.match(mine.stdout, new RegExp(`^#${id} alice ${LOGIN}@db1 for ${ACCESS_SEC}s \\[pending until `));

    const self = await b.cli(['requests', 'approve', id, '--as', 'alice'], true);
    assert.notEqual(self.code, 0);
    assert.match(self.stderr, new RegExp(`fumidai: access request #${id} not decided: nobody approves their own request \\(APPROVAL_REFUSED\\)`));
    const carol = await b.cli(['requests', 'approve', id, '--as', 'carol'], true);
    assert.match(carol.stderr, /'carol' is not in an approvers group of rule 'db-jit'/);
    const noMfa = await ssh(cfg('alice'), ['bastion', 'approve', id]);
    assert.match(noMfa.stderr, /deciding over SSH needs a login with your key and second factor/);

    const approved = await asBob(['approve', id]);
    const approvedAt = Date.now();
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`access request #${id} approved: alice may log in to ${LOGIN}@db1 until `));

    const r = await ssh(cfg('alice'), ['db1', TICKING], { timeoutMs: 40_000 });
    const late = Date.now() - (approvedAt + ACCESS_SEC * 1000);
    console.log(`# the session ended ${late} ms after the approved access ran out`);
    assert.equal(r.code, 255, r.stderr);
    assert.match(r.stdout, /^started\n(tick\n){5,}$/, 'a live shell until then');
    assert.match(r.stderr, new RegExp(`fumidai: session ended, access revoked: access request #${id} expired at \\S+ \\(rule 'db-jit'\\); ask again`));
    assert.ok(late < 3500, `ended ${late} ms after the access ran out (re-check interval 1 s)`);

    const requested = await b.waitForEvents('AccessRequested', 1, (e) => e.requestId === Number(id));
    assert.equal(requested[0]?.reason, 'INC-1234 db down');
    const ok = await b.waitForEvents('AccessApproved', 1, (e) => e.requestId === Number(id) && e.user === 'bob');
    assert.equal(ok[0]?.via, 'ssh');
    assert.equal(ok[0]?.requester, 'alice');
    const expired = await b.waitForEvents('AccessExpired', 1, (e) => e.requestId === Number(id));
    assert.equal(expired[0]?.user, 'alice');
    assert.equal(b.events('AccessExpired').length, 1, 'written once');

    const again = await ssh(cfg('alice'), ['db1', 'echo in'], { timeoutMs: 20_000 });
    assert.match(again.stderr, new RegExp(`access denied: access request #${id} expired at`));
  });

  test('an approval after the pending request expired is refused; a denial is recorded with its reason', { timeout: 60_000 }, async () => {
    const asked = await ssh(cfg('alice'), ['bastion', 'request', 'db1', '--for', '5s', '--reason', 'INC-1', 'late']);
    assert.equal(asked.code, 0, asked.stderr);
    const late = /^access request #(\d+): /.exec(asked.stdout)![1]!;
    const other = /^access request #(\d+): /.exec((await ssh(cfg('carol'), ['bastion', 'request', 'db1', '--for', '5s', '--reason', 'INC-2'])).stdout)![1]!;
    const denied = await b.cli(['requests', 'deny', other, '--as', 'bob', '--reason', 'not during the freeze']);
    assert.equal(denied.code, 0, denied.stderr);
    assert.match(denied.stdout, new RegExp(`access request #${other} denied: not during the freeze`));
    assert.match((await ssh(cfg('carol'), ['bastion', 'requests'])).stdout, /\[denied by bob: not during the freeze\]/);

    await new Promise((r) => setTimeout(r, PENDING_SEC * 1000 + 500));
    const r = await b.cli(['requests', 'approve', late, '--as', 'bob'], true);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`fumidai: access request #${late} not decided: the request expired at \\S+ unapproved; alice may ask again \\(APPROVAL_REFUSED\\)`));
    const listed = await b.cli(['requests', 'list']);
    assert.match(listed.stdout, new RegExp(`#${late} alice ${LOGIN}@db1 for 5s \\[expired unapproved at `));
    const refusedLogin = await ssh(cfg('alice'), ['db1', 'echo in'], { timeoutMs: 20_000 });
    assert.notEqual(refusedLogin.code, 0);
    // Nobody answered it: the sweep says so in the trail, once (the denied one is no expiry).
    const unanswered = await b.waitForEvents('AccessExpired', 1, (e) => e.requestId === Number(late), 3000);
    assert.equal(unanswered[0]?.result, 'failure');
    assert.equal(unanswered[0]?.user, 'alice');
    assert.match(String(unanswered[0]?.reason), new RegExp(`^access request #${late} not answered within requests.pendingFor`));
    assert.deepEqual(b.events('AccessExpired').filter((e) => e.requestId === Number(other)), []);
  });

  test('an approved access nobody used gets exactly one AccessExpired at its end', { timeout: 60_000 }, async () => {
    const asked = await ssh(cfg('carol'), ['bastion', 'request', 'db1', '--for', '3s', '--reason', 'INC-3', 'unused']);
    assert.equal(asked.code, 0, asked.stderr);
    const id = Number(/^access request #(\d+): /.exec(asked.stdout)![1]);
    const approved = await b.cli(['requests', 'approve', String(id), '--as', 'bob']);
    assert.equal(approved.code, 0, approved.stderr);
    const until = /until (\S+)$/.exec(approved.stdout.trim())![1]!;
    const expired = await b.waitForEvents('AccessExpired', 1, (e) => e.requestId === id, 10_000);
    const late = Date.parse(String(expired[0]?.time)) - Date.parse(until);
    console.log(`# AccessExpired written ${late} ms after the unused access ended (recheckInterval 1 s)`);
    assert.ok(late >= 0 && late < 2500, `within the re-check interval of its end (${late} ms)`);
    assert.deepEqual([expired[0]?.user, expired[0]?.target, expired[0]?.login, expired[0]?.grantedUntil, expired[0]?.result ?? 'success'], ['carol', 'db1', LOGIN, until, 'success']);
    assert.equal(expired[0]?.reason, `access request #${id} ended at ${until}`);
    await new Promise((r) => setTimeout(r, 2500)); // two more re-checks
    assert.equal(b.events('AccessExpired').filter((e) => e.requestId === id).length, 1, 'exactly one');
    const trail = readTrail(b.data).split('\n').filter((l) => l.includes('"AccessExpired"')).map((l) => JSON.parse(l) as { details?: { requestId?: number } });
    assert.equal(trail.filter((e) => e.details?.requestId === id).length, 1, 'exactly one in the audit trail');
  });
});
