// Shell rules with real parts: a real OpenSSH client in a real pseudo-terminal (pty_drive.py), through fumidai, to a
// real sshd running bash. Each line is decided as the screen shows it when Enter is pressed: quoting (`cu""rl`,
// `c\url`), history recall (up arrow) and tab completion are seen; a `terminate` rule ends the session before the
// target runs the line; a `hold` rule passes the line on only after an approver allowed it, and a refusal cancels it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Bastion, ROOT } from './helpers/fumidai.js';
import { totp } from './helpers/certs.js';
import { run } from './helpers/proc.js';
import type { Target } from './helpers/sshd.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('shell rules', () => {
  const b = new Bastion();
  let web1: Target;
  const keys: Record<string, string> = {};
  let bobSecret = '';
  /** Runs a pty_drive script in alice's shell on web1 (started, not awaited: a test may act while it runs). */
  const shell = (steps: object[], user = 'alice') =>
    run('python3', [PTY, '24', '100', JSON.stringify([{ expect: '\\$ ' }, ...steps]), '--', 'ssh', '-F', b.sshConfig(user, keys[user]!, { web1: 'fumidaitest' }), '-tt', 'web1'], { timeoutMs: 60_000 });
  const matched = (rule: string) => b.events('CommandMatched').filter((e) => e.rule === rule).map((e) => e.line);

  before(async () => {
    await b.init();
    web1 = await b.addTarget('web1');
    for (const u of ['alice', 'bob', 'carol']) {
      keys[u] = await b.addUser(u);
      await b.cli(['grant', u, 'web1']);
    }
    bobSecret = /secret=([A-Z2-7]+)/.exec((await b.cli(['mfa', 'enroll', 'bob'])).stdout)![1]!;
    const applied = await b.applyPolicy(`
groups:
  leads: [bob]
  ops: [alice, carol]
commands:
  - name: curl-seen
    on: shell
    match: { program: [curl, printenv] }
    action: alert
  - name: no-printf
    on: shell
    groups: [ops]
    match: { program: [printf] }
    action: terminate
    reason: printf is not allowed here
  - name: date-needs-a-lead
    on: shell
    users: [alice]
    match: { program: [date] }
    action: hold
    approvers: [leads]
    timeout: 20s
`);
    assert.equal(applied.code, 0, applied.stderr);
    await b.start();
  });
  after(async () => {
    await b.stop();
    await web1?.stop();
  });

  test('a terminate rule ends the session before the target prints the line\'s output, with the reason', { timeout: 60_000 }, async () => {
    const r = await shell([{ type: "printf 'MA%sRK\\n' X" }, { send: '\r' }, { expect: 'COMMAND_DENIED' }]);
    assert.match(r.stdout, /fumidai: session ended: printf is not allowed here \(rule 'no-printf'\) \(COMMAND_DENIED\)/);
    assert.doesNotMatch(r.stdout, /MAXRK/, 'the target ran the line');
    assert.equal(r.code, 255, r.stdout);
    const [ev] = await b.waitForEvents('CommandMatched', 1, (e) => e.rule === 'no-printf');
    assert.equal(ev?.line, "printf 'MA%sRK\\n' X");
    assert.equal(ev?.result, 'failure');
  });

  test('quoting, history recall and tab completion are seen as the shell runs the line', { timeout: 60_000 }, async () => {
    const r = await shell([
      { type: 'cu""rl --version >/dev/null 2>&1; echo ONE-$((1))' }, { send: '\r' }, { expect: 'ONE-1' },
      { type: 'c\\url --version >/dev/null 2>&1; echo TWO-$((2))' }, { send: '\r' }, { expect: 'TWO-2' },
      { send: '\x1b[A' }, { expect: 'TWO-\\$\\(\\(2\\)\\)', new: true }, { send: '\r' }, { expect: 'TWO-2(.|\\n)*TWO-2\\r\\n[^\\n]*\\$ ' },
      { send: '\x12' }, { type: 'TWO-' }, { expect: 'reverse-i-search' }, { send: '\r' }, { expect: 'TWO-2', new: true },
      { type: 'printe\t' }, { expect: 'printenv ' }, { type: 'HOME\r' }, { expect: '/home/[^\\n]*\\n[^\\n]*\\$ ' },
      // A paste: the Enter comes with keys not echoed yet, and waits for their echo.
      { send: 'cu""rl --version >/dev/null 2>&1; echo PASTE-$((3))\r' }, { expect: 'PASTE-3' },
      { send: 'exit\r' },
    ], 'carol');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    await b.waitForEvents('CommandMatched', 6, (e) => e.rule === 'curl-seen' && e.user === 'carol');
    assert.deepEqual(matched('curl-seen'), [
      'cu""rl --version >/dev/null 2>&1; echo ONE-$((1))',
      'c\\url --version >/dev/null 2>&1; echo TWO-$((2))',
      'c\\url --version >/dev/null 2>&1; echo TWO-$((2))', // recalled with the up arrow: no key of it was typed
      'c\\url --version >/dev/null 2>&1; echo TWO-$((2))', // found with Ctrl-R
      'printenv HOME', // completed with Tab: "printe" was typed
      'cu""rl --version >/dev/null 2>&1; echo PASTE-$((3))',
    ]);
  });

  test('a hold rule passes the line on only after an approver allows it; a refusal cancels it; no self-approval', { timeout: 90_000 }, async () => {
    const held = async (): Promise<string> => {
      for (let i = 0; i < 100; i++) {
        const m = /#(\d+) alice/.exec((await b.cli(['holds', 'list'])).stdout);
        if (m) return m[1]!;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error('no held line');
    };
    const session = shell([
      { type: 'date +HELD%s-OK' }, { send: '\r' }, { expect: 'waits for an approver' },
      { expect: 'allowed by bob', timeout: 30 }, { expect: 'HELD\\d+-OK' },
      { type: 'date +REF%s-X' }, { send: '\r' }, { expect: 'waits for an approver', new: true },
      { type: 'echo X-$((3*3))\r' }, // typed while the line waits: dropped with it
      { expect: 'refused by bob: not now', timeout: 30 },
      { type: 'date +CAN%s-Y' }, { send: '\r' }, { expect: 'waits for an approver', new: true },
      { send: '\x03' }, { expect: '\\$ ', new: true },
      { type: 'echo DONE-$((1+1))' }, { send: '\r' }, { expect: 'DONE-2' }, { send: 'exit\r' },
    ]);
    const first = await held();
    const self = await b.cli(['holds', 'allow', first, '--as', 'alice'], true);
    assert.match(self.stderr, new RegExp(`held line #${first} not decided: nobody decides their own line \\(HOLD_NOT_DECIDED\\)`));
    const carol = await b.cli(['holds', 'allow', first, '--as', 'carol'], true);
    assert.match(carol.stderr, /'carol' is not in an approvers group of rule 'date-needs-a-lead'/);
    await new Promise((r) => setTimeout(r, 1000)); // the line waits: nothing of it may run meanwhile
    const asBob = b.sshConfig('bob', keys.bob!, {}, ['BatchMode no', 'NumberOfPasswordPrompts 1']);
    const allowed = await run('sshpass', ['-P', 'Verification code', '-p', await totp(bobSecret), 'ssh', '-F', asBob, 'bastion', 'allow', first], { timeoutMs: 30_000 });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(allowed.stdout, new RegExp(`held line #${first} allowed`));
    let second = first;
    while (second === first) second = await held();
    await new Promise((r) => setTimeout(r, 1500)); // keys typed meanwhile
    const refused = await b.cli(['holds', 'refuse', second, '--as', 'bob', '--reason', 'not now']);
    assert.equal(refused.code, 0, refused.stderr);
    const r = await session;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(r.stdout.indexOf('allowed by bob') < r.stdout.search(/HELD\d+-OK/), 'the line ran before it was allowed');
    assert.doesNotMatch(r.stdout, /REF\d+-X/, 'the refused line ran');
    assert.doesNotMatch(r.stdout, /X-9/, 'keys typed while the line waited went on after its refusal');
    assert.doesNotMatch(r.stdout, /CAN\d+-Y/, 'the cancelled line ran');
    assert.equal((await b.waitForEvents('LineHoldCancelled', 1, (e) => e.user === 'alice')).length, 1);
    const events = await b.waitForEvents('LineHeld', 3, (e) => e.user === 'alice');
    assert.deepEqual(events.map((e) => e.line), ['date +HELD%s-OK', 'date +REF%s-X', 'date +CAN%s-Y']);
    assert.equal((await b.waitForEvents('LineHoldAllowed', 1, (e) => e.user === 'bob' && e.via === 'ssh')).length, 1);
  });
});
