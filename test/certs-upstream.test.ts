// Per-session certificates towards targets (`target add --cert-login`): a real sshd that trusts fumidai's user CA
// (TrustedUserCAKeys) with an EMPTY authorized_keys accepts the session, and its own log names the person and the
// session (key id = user:auditKey). Without the option, fumidai's plain key is refused there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { LOGIN, startTarget, type Target } from './helpers/sshd.js';

describe('per-session upstream certificates', () => {
  const bastion = new Bastion();
  let web2: Target;
  let cfg: string;

  before(async () => {
    await bastion.init();
    const caFile = join(bastion.dir, 'fumidai_user_ca.pub');
    writeFileSync(caFile, (await bastion.cli(['certs', 'ca'])).stdout, { mode: 0o644 });
    web2 = await startTarget({ authorizedKeys: '', extraConfig: [`TrustedUserCAKeys ${caFile}`], logLevel: 'VERBOSE' });
    await bastion.cli(['target', 'add', 'web2', '--host', '127.0.0.1', '--port', String(web2.port), '--login', LOGIN, '--cert-login']);
    const key = await bastion.addUser('alice');
    await bastion.cli(['grant', 'alice', 'web2']);
    await bastion.start();
    cfg = bastion.sshConfig('alice', key, { web2: LOGIN });
  });
  after(async () => {
    await bastion.stop();
    await web2?.stop();
  });

  test("the target accepts fumidai's certificate with an empty authorized_keys, and its log names user and audit key", async () => {
    const r = await ssh(cfg, ['web2', 'echo via-cert']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'via-cert\n');
    const start = (await bastion.waitForEvents('TargetConnect', 1))[0]!;
    assert.equal(start.credential, 'fumidai certificate');
    const auditKey = String(start.sessionId);
    assert.equal(start.certKeyId, `alice:${auditKey}`);
    for (let i = 0; i < 20 && !web2.log().includes('Accepted publickey'); i++) await new Promise((res) => setTimeout(res, 100));
    assert.match(web2.log(), new RegExp(`Accepted publickey for ${LOGIN} from 127\\.0\\.0\\.1 port \\d+ ssh2: ED25519-CERT SHA256:\\S+ ID alice:${auditKey} \\(serial 0\\) CA ED25519 SHA256:`));
    const shown = (await bastion.cli(['target', 'list'])).stdout;
    assert.match(shown, /web2 .*\(certificate login\)/);
  });

  test("turned off, fumidai's own key is refused there (nothing in authorized_keys)", async () => {
    await bastion.cli(['target', 'set', 'web2', '--cert-login', 'no']);
    const r = await ssh(cfg, ['web2', 'echo via-key']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /target 'web2' did not accept fumidai's key for login '\w+' \(UPSTREAM_AUTH_FAILED\)/);
    await bastion.cli(['target', 'set', 'web2', '--cert-login', 'yes']);
    const again = await ssh(cfg, ['web2', 'echo back']);
    assert.equal(again.stdout, 'back\n', again.stderr);
  });
});
