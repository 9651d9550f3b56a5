// OpenSSH user certificates with the stock client: fumidai issues them (`ssh alice@bastion cert`, after key and
// TOTP), accepts them in place of a registered key, and refuses the expired, the other principal's, the untrusted
// CA's, the revoked, and those whose critical options are not met; a live session on a revoked certificate ends.
// Certificates are also made with `ssh-keygen -s` (an implementation we did not write), read back with `ssh-keygen -L`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { keygen, type Target } from './helpers/sshd.js';
import { issueCert } from './helpers/certs.js';

describe('user certificates', () => {
  const bastion = new Bastion();
  let web1: Target;
  let aliceKey: string;
  let secret: string;
  let carolKey: string;
  let daveKey: string;
  let daveSecret: string;
  let extCa: string;
  let n = 0;

  /** A new key pair, not registered with fumidai: only a certificate can log it in. */
  const freshKey = async () => (await keygen(join(bastion.dir, `k${++n}`))).priv;
  /** Signs `key`.pub with `ssh-keygen -s CA`, writing key-cert.pub beside it (where ssh looks for it). */
  const sign = async (ca: string, key: string, args: string[]) => {
    const r = await run('ssh-keygen', ['-q', '-s', ca, '-I', `test-${n}`, ...args, `${key}.pub`]);
    assert.equal(r.code, 0, r.stderr);
  };
  /** `ssh -l web1 bastion CMD` with the key (and the certificate beside it), showing fumidai's banner lines. */
  const loginWith = (key: string, cmd = 'echo in', from = '127.0.0.1') =>
    ssh(bastion.sshConfig('alice', key, {}, ['LogLevel INFO', `BindAddress ${from}`]), ['-l', 'web1', 'bastion', cmd], { timeoutMs: 30_000 });
  const caKey = () => join(bastion.data, 'user_ca_ed25519_key');
  const failures = () => bastion.events('AuthFailure').map((e) => String(e.reason));

  before(async () => {
    extCa = (await keygen(join(bastion.dir, 'vault_ca'))).priv;
    await bastion.init({ 'trustedUserCAs: []': `trustedUserCAs: ["${readFileSync(`${extCa}.pub`, 'utf8').trim()}"]` });
    web1 = await bastion.addTarget('web1');
    aliceKey = await bastion.addUser('alice');
    carolKey = await bastion.addUser('carol');
    daveKey = await bastion.addUser('dave');
    await bastion.cli(['grant', 'alice', 'web1']);
    await bastion.cli(['grant', 'dave', 'web1']);
    // Each TOTP code works once: alice and dave each get one certificate in the 30 s of one code.
    secret = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['mfa', 'enroll', 'alice'])).stdout)![1]!;
    daveSecret = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['mfa', 'enroll', 'dave'])).stdout)![1]!;
    await bastion.applyPolicy('mfa:\n  waiveWithCertificate: true\n');
    await bastion.start();
  });
  after(async () => {
    if (process.env.CERT_DEBUG) console.log(bastion.log);
    await bastion.stop();
    await web1?.stop();
  });

  test('init made the CA key (0600) and certs ca prints its public line', async () => {
    const { statSync } = await import('node:fs');
    assert.equal(statSync(caKey()).mode & 0o777, 0o600);
    const line = (await bastion.cli(['certs', 'ca'])).stdout.trim();
    assert.match(line, /^ssh-ed25519 AAAA\S+ fumidai-user-ca$/);
    assert.equal(line.split(' ')[1], readFileSync(`${caKey()}.pub`, 'utf8').split(' ')[1]);
  });

  test('issued after key and TOTP: ssh-keygen -L reads it; it logs in with stock ssh, the TOTP waived by the policy', async () => {
    const r = await issueCert(bastion, 'alice', aliceKey, secret, ['--for', '2h']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ssh-ed25519-cert-v01@openssh\.com AAAA\S+ fumidai:alice:\d+\n$/);
    writeFileSync(`${aliceKey}-cert.pub`, r.stdout);
    const shown = (await run('ssh-keygen', ['-L', '-f', `${aliceKey}-cert.pub`])).stdout;
    assert.match(shown, /Key ID: "fumidai:alice:1"/);
    assert.match(shown, /Serial: 1\n/);
    assert.match(shown, /Principals: \n\s+alice\n/);
    assert.match(shown, /permit-pty/);
    const [from, to] = /Valid: from (\S+) to (\S+)/.exec(shown)!.slice(1).map((t) => Date.parse(t));
    assert.ok(Math.abs(to! - from! - (2 * 3600 + 60) * 1000) < 2000, shown);
    const issued = await bastion.waitForEvents('CertificateIssued', 1);
    assert.equal(issued[0]!.user, 'alice');
    assert.equal(issued[0]!.keyId, 'fumidai:alice:1');
    assert.equal(issued[0]!.serial, '1');

    // BatchMode: no TOTP can be typed; the certificate is what lets alice in.
    const login = await loginWith(aliceKey);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(login.stdout, 'in\n');
    const ok = (await bastion.waitForEvents('AuthSuccess', 1, (e) => e.method === 'certificate'))[0]!;
    assert.equal((ok.certificate as { keyId: string }).keyId, 'fumidai:alice:1');
  });

  test('a certificate login cannot renew itself; a login without second factor gets none', async () => {
    let r = await ssh(bastion.sshConfig('alice', aliceKey, {}, ['LogLevel INFO']), ['bastion', 'cert']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no certificate issued: this login used a certificate.*\(CERT_NOT_ISSUED\)/);
    r = await ssh(bastion.sshConfig('carol', carolKey), ['bastion', 'cert']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no certificate issued: this login gave no second factor.*\(CERT_NOT_ISSUED\)/);
    assert.equal(bastion.events('CertificateIssueFailure').length, 2);
  });

  test('refused: expired, another principal, an untrusted CA, a revoked one, an unknown critical option, source-address', async () => {
    const untrusted = (await keygen(join(bastion.dir, 'rogue_ca'))).priv;
    const cases: [string, string[], RegExp, string?][] = [
      ['expired', ['-n', 'alice', '-V', '20200101:20200102'], /certificate refused: expired/],
      ['principal', ['-n', 'mallory'], /certificate refused: principal 'mallory' is not a fumidai user/],
      ['untrusted', ['-n', 'alice'], /certificate refused: untrusted CA/, untrusted],
      ['revoked', ['-n', 'alice', '-z', '4242'], /certificate refused: revoked \(key id test-\d+: lost laptop\)/],
      ['critical', ['-n', 'alice', '-O', 'critical:no-such-option=x'], /certificate refused: critical option 'no-such-option' is not supported/],
      ['source', ['-n', 'alice', '-O', 'source-address=10.9.9.0/24'], /certificate refused: source-address: 127\.0\.0\.1 is not in 10\.9\.9\.0\/24/],
    ];
    for (const [i, [name, args, line, ca]] of cases.entries()) {
      const key = await freshKey();
      await sign(ca ?? caKey(), key, args);
      if (name === 'revoked') await bastion.cli(['certs', 'revoke', '--key-id', `test-${n}`, '--reason', 'lost laptop']);
      // Each from its own address: the per-address delays after failures do not add up.
      const r = await loginWith(key, 'echo in', name === 'source' ? '127.0.0.1' : `127.0.0.${20 + i}`);
      assert.equal(r.code, 255, `${name}: ${r.stdout}`);
      assert.match(r.stderr, line, name);
      assert.match(r.stderr, /\(CERT_REFUSED\)/, name);
    }
    const reasons = failures().filter((x) => x.startsWith('certificate'));
    for (const part of ['certificate expired', 'certificate principal', 'certificate untrusted CA', 'certificate revoked', "certificate critical option 'no-such-option'", 'certificate source-address'])
      assert.ok(reasons.some((x) => x.startsWith(part)), `${part} in ${reasons.join(' | ')}`);
  });

  test("accepted: an external CA's certificate (certs.trustedUserCAs), a matching source-address; force-command replaces the command", async () => {
    let key = await freshKey();
    await sign(extCa, key, ['-n', 'alice', '-V', '-5m:+1h']);
    let r = await loginWith(key, 'echo external');
    assert.match(r.stderr, /Permission denied \(keyboard-interactive\)/, 'waiveWithCertificate: true waives the code for fumidai\'s own certificates only');
    await bastion.applyPolicy('mfa:\n  waiveWithCertificate: any-trusted-ca\n');
    r = await loginWith(key, 'echo external');
    assert.equal(r.stdout, 'external\n', r.stderr);
    key = await freshKey();
    await sign(caKey(), key, ['-n', 'alice', '-O', 'source-address=127.0.0.0/8,::1']);
    r = await loginWith(key, 'echo near');
    assert.equal(r.stdout, 'near\n', r.stderr);
    key = await freshKey();
    await sign(caKey(), key, ['-n', 'alice', '-O', 'force-command=echo forced']);
    r = await loginWith(key, 'echo asked');
    assert.equal(r.stdout, 'forced\n', r.stderr);
    r = await ssh(bastion.sshConfig('alice', key, {}, ['LogLevel INFO']), ['-l', 'web1', '-W', '127.0.0.1:22', 'bastion'], { timeoutMs: 15_000 });
    assert.notEqual(r.code, 0, 'no port forwarding beside the forced command');
    assert.match(r.stderr, /port forwarding is not allowed: this certificate may only run its forced command \(CERT_FORCED_COMMAND\)/);
    const refused = await bastion.waitForEvents('PortForward', 1, (e) => /may only run its forced command/.test(String(e.reason)));
    assert.equal(refused.length, 1);
  });

  test('a live session on a revoked certificate ends with a message', async () => {
    const r = await issueCert(bastion, 'dave', daveKey, daveSecret);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(`${daveKey}-cert.pub`, r.stdout);
    const serial = /fumidai:dave:(\d+)/.exec(r.stdout)![1]!;
    const cfg = bastion.sshConfig('dave', daveKey, {}, ['LogLevel INFO']);
    const child = spawn('ssh', ['-F', cfg, '-l', 'web1', 'bastion', 'echo started; sleep 30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 100 && !out.includes('started'); i++) await new Promise((res) => setTimeout(res, 100));
    assert.match(out, /started/, err);
    const t0 = Date.now();
    await bastion.cli(['certs', 'revoke', '--serial', serial, '--reason', 'left the company']);
    const code = await Promise.race([exited, new Promise<string>((res) => setTimeout(() => res('still running'), 10_000))]);
    if (code === 'still running') child.kill();
    assert.notEqual(code, 'still running', 'the session ended');
    assert.ok(Date.now() - t0 < 5000);
    assert.match(err, new RegExp(`access revoked: the certificate fumidai:dave:${serial} \\(serial ${serial}\\) was revoked: left the company`));
    const list = (await bastion.cli(['certs', 'list'])).stdout;
    assert.match(list, new RegExp(`left the company`));
  });
});
