// Host certificates for ProxyJump (certs.hostCertificates): a stock OpenSSH client whose known_hosts holds nothing
// but the `@cert-authority` line of `fumidai certs host-ca` reaches the bastion and a target through it with strict
// host key checking, for each host key type fumidai has (ed25519, ECDSA, RSA with SHA-2); a known_hosts naming
// another CA fails host key verification; and a client that asks for no certificate sees the plain key as before.
// AsyncSSH and PuTTY check the same certificates as independent implementations. Certificates last 10 s here, so each is signed again 5 s after it was made: the renewal is exercised too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';

describe('host certificates through ProxyJump', () => {
  const bastion = new Bastion();
  let web1: Target;
  let key: string;
  let caLine: string;

  /** An ssh config with strict host key checking against `knownHosts` (its text), logging the host key checks. */
  const strict = (knownHosts: string, extra: string[] = []): string => {
    const file = join(bastion.dir, `known_hosts_${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, knownHosts);
    return bastion.sshConfig('alice', key, { web1: LOGIN }, ['StrictHostKeyChecking yes', `UserKnownHostsFile ${file}`, 'GlobalKnownHostsFile /dev/null', 'LogLevel DEBUG1', ...extra]);
  };

  before(async () => {
    await bastion.init({ 'hostCertificates: false': 'hostCertificates: true', 'hostNames: []': 'hostNames: [127.0.0.1]', 'hostValidity: 30d': 'hostValidity: 10s', '  - host_ecdsa_key\n': '  - host_ecdsa_key\n  - host_rsa_key\n' });
    // An RSA host key too (PKCS#1: ssh2 reads it), to check the SHA-2 certificate names.
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '', '-C', 'host-rsa', '-f', join(bastion.data, 'host_rsa_key')]);
    ({ target: web1, key } = await bastion.startWith('alice', 'web1'));
    caLine = (await bastion.cli(['certs', 'host-ca'])).stdout;
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test("'certs host-ca' prints one @cert-authority line of an ed25519 key, the same each time", async () => {
    assert.match(caLine, /^@cert-authority \* ssh-ed25519 AAAA[A-Za-z0-9+/=]+ fumidai host CA\n$/);
    assert.equal((await bastion.cli(['certs', 'host-ca'])).stdout, caLine);
  });

  for (const [type, algos] of [
    ['ed25519', 'ssh-ed25519-cert-v01@openssh.com'],
    ['ecdsa', 'ecdsa-sha2-nistp256-cert-v01@openssh.com'],
    ['rsa-sha2-512', 'rsa-sha2-512-cert-v01@openssh.com'],
    ['rsa-sha2-256', 'rsa-sha2-256-cert-v01@openssh.com'],
  ] as const) {
    test(`with only the @cert-authority line, strict checking passes on both hops (${type})`, async () => {
      const r = await ssh(strict(caLine, [`HostKeyAlgorithms ${algos}`]), ['web1', 'echo through-cert']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'through-cert\n');
      // Both hops presented a certificate and it was what matched (the outer hop is the ProxyJump helper's).
      assert.match(r.stderr, /Host '\[127\.0\.0\.1\]:\d+' is known and matches the \S+-CERT host certificate/);
      assert.match(r.stderr, /Host 'web1' is known and matches the \S+-CERT host certificate/);
    });
  }

  test('the certificate names the target and the bastion, and each signing is an audit event', async () => {
    const r = await ssh(strict(caLine), ['web1', 'true']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Server host certificate: ssh-ed25519-cert-v01@openssh.com SHA256:\S+, serial \d+ ID "fumidai-host:web1" CA ssh-ed25519/);
    assert.match(r.stderr, /Server host certificate: ssh-ed25519-cert-v01@openssh.com SHA256:\S+, serial \d+ ID "fumidai-host:127\.0\.0\.1" CA/);
    const signed = await bastion.waitForEvents('HostCertificateSigned', 3, (e) => JSON.stringify(e.principals) === '["web1"]');
    assert.deepEqual([...new Set(signed.map((e) => e.hostKeyType))].sort(), ['ecdsa-sha2-nistp256', 'ssh-ed25519', 'ssh-rsa']);
  });

  test('past half its validity each certificate is signed again, on the bastion listener and for the target', async () => {
    const serials = (stderr: string) => ['127\\.0\\.0\\.1', 'web1'].map((name) => new RegExp(`serial (\\d+) ID "fumidai-host:${name}"`).exec(stderr)?.[1]);
    const first = await ssh(strict(caLine), ['web1', 'true']);
    assert.equal(first.code, 0, first.stderr);
    await new Promise((r) => setTimeout(r, 5500));
    const second = await ssh(strict(caLine), ['web1', 'true']);
    assert.equal(second.code, 0, second.stderr);
    const [before, after] = [serials(first.stderr), serials(second.stderr)];
    assert.ok(before.every(Boolean) && after.every(Boolean), first.stderr);
    assert.notEqual(after[0], before[0], 'the bastion listener presents the renewed certificate');
    assert.notEqual(after[1], before[1], 'the target presents the renewed certificate');
  });

  test("'certs host-ca --hosts' narrows the line: it vouches for the names listed and no others", async () => {
    const narrow = (await bastion.cli(['certs', 'host-ca', '--hosts', 'web1,[127.0.0.1]:*'])).stdout;
    assert.match(narrow, /^@cert-authority web1,\[127\.0\.0\.1\]:\* ssh-ed25519 /);
    const r = await ssh(strict(narrow), ['web1', 'echo narrow']);
    assert.equal(r.stdout, 'narrow\n', r.stderr);
    const other = (await bastion.cli(['certs', 'host-ca', '--hosts', 'db*,[127.0.0.1]:*'])).stdout;
    const refused = await ssh(strict(other), ['web1', 'true']);
    assert.match(refused.stderr, /Host key verification failed/);
    assert.equal((await bastion.cli(['certs', 'host-ca', '--hosts', 'a b'], true)).code, 1);
  });

  // AsyncSSH (Debian's 2.10), an independent verifier: known_hosts with the CA line alone, to the bastion and through
  // it to web1 as a tunnel (direct-tcpip, as -J does); prints each hop's outcome.
  const asyncssh = (knownHosts: string) => {
    const file = join(bastion.dir, `known_hosts_py_${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, knownHosts);
    const script = `
import asyncio, sys, warnings
warnings.simplefilter('ignore')
import asyncssh
port, key, kh, login = sys.argv[1:]
async def main():
    try:
        async with asyncssh.connect('127.0.0.1', int(port), username='alice', client_keys=[key], known_hosts=kh, agent_path=None) as outer:
            print('bastion ok')
            async with asyncssh.connect('web1', 22, tunnel=outer, username=login, client_keys=[key], known_hosts=kh, agent_path=None) as inner:
                print('web1', (await inner.run('echo via-asyncssh')).stdout.strip())
    except (asyncssh.Error, OSError) as e:
        print('refused', type(e).__name__, e)
asyncio.run(main())
`;
    return run('/usr/bin/python3', ['-c', script, String(bastion.port), key, file, LOGIN]);
  };

  test('AsyncSSH with only the @cert-authority line verifies both hops; with another CA it refuses', async () => {
    const r = await asyncssh(caLine);
    assert.equal(r.stdout, 'bastion ok\nweb1 via-asyncssh\n', r.stderr);
    const other = join(bastion.dir, 'other_ca_py');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const refused = await asyncssh(`@cert-authority * ${execFileSync('cat', [`${other}.pub`], { encoding: 'utf8' }).trim()}\n`);
    assert.match(refused.stdout, /^refused HostKeyNotVerifiable/, refused.stderr);
  });

  // PuTTY 0.78, another verifier: a CA configured (in a HOME of its own) for the bastion hop, in batch mode, where an
  // unknown host key aborts; with no CA configured the same command fails.
  const plink = async (ca: string | undefined) => {
    const home = join(bastion.dir, `putty_home_${Math.random().toString(36).slice(2)}`);
    mkdirSync(join(home, '.putty', 'sshhostcas'), { recursive: true });
    if (ca) writeFileSync(join(home, '.putty', 'sshhostcas', 'fumidai'), `PublicKey=${ca}\nValidity=*\nPermitRSASHA1=0\nPermitRSASHA256=1\nPermitRSASHA512=1\n`);
    const ppk = join(bastion.dir, 'alice.ppk');
    await run('puttygen', [key, '-O', 'private', '-o', ppk]);
    return run('plink', ['-ssh', '-batch', '-P', String(bastion.port), '-l', 'web1', '-i', ppk, '127.0.0.1', 'echo via-putty'], { env: { ...process.env, HOME: home } });
  };

  test('PuTTY with the host CA configured trusts the bastion without a cached key; without it, batch mode aborts', async () => {
    const r = await plink(caLine.split(' ')[3]);
    assert.equal(r.stdout, 'via-putty\n', r.stderr);
    const login = (await bastion.waitForEvents('AuthSuccess', 1)).at(-1) as { algorithms?: { hostKey?: string } };
    assert.equal(login.algorithms?.hostKey, 'ssh-ed25519-cert-v01@openssh.com');
    const none = await plink(undefined);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /host key is not cached|Cannot confirm a host key in batch mode/);
  });

  test("a known_hosts trusting another CA fails host key verification", async () => {
    const other = join(bastion.dir, 'other_ca');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const line = `@cert-authority * ${execFileSync('cat', [`${other}.pub`], { encoding: 'utf8' }).trim()}\n`;
    const r = await ssh(strict(line), ['web1', 'echo never']);
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Host key verification failed/);
  });

  test('a client that asks for no certificate gets the plain key, pinned by the known-hosts lines as before', async () => {
    const lines = (await bastion.cli(['known-hosts', '--bastion', `[127.0.0.1]:${bastion.port}`])).stdout;
    const r = await ssh(strict(lines, ['HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256']), ['web1', 'echo plain']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'plain\n');
    assert.doesNotMatch(r.stderr, /Server host certificate/);
    assert.match(r.stderr, /Server host key: ssh-ed25519 SHA256:/);
    // The same client with only the CA line has nothing to match the plain key against.
    const refused = await ssh(strict(caLine, ['HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256']), ['web1', 'true']);
    assert.match(refused.stderr, /Host key verification failed/);
  });

  test('a default client with the known-hosts lines (no CA line) still connects: the plain key is found', async () => {
    const lines = (await bastion.cli(['known-hosts', '--bastion', `[127.0.0.1]:${bastion.port}`])).stdout;
    const r = await ssh(strict(lines), ['web1', 'echo default']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'default\n');
  });
});
