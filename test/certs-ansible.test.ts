// MFA that does not fight automation: under a policy that asks alice for TOTP on every login (rule mfa: true, and her
// enrolment), Ansible with 20 forks reaches 20 inventory names through ProxyJump via fumidai with no prompt once she
// holds a certificate fumidai issued, because the policy waives the code for it (mfa.waiveWithCertificate).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { issueCert } from './helpers/certs.js';

const HOSTS = Array.from({ length: 20 }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);

describe('ansible with a certificate', () => {
  const bastion = new Bastion();
  let target: Target;
  let key: string;
  let secret: string;

  before(async () => {
    await bastion.init();
    target = await bastion.addTarget(HOSTS[0]!);
    // Every inventory name is a target of its own, all on the one real sshd.
    for (let i = 1; i < HOSTS.length; i += 5)
      await Promise.all(HOSTS.slice(i, i + 5).map((h) => bastion.cli(['target', 'add', h, '--host', '127.0.0.1', '--port', String(target.port), '--login', LOGIN])));
    key = await bastion.addUser('alice');
    secret = /secret=([A-Z2-7]+)/.exec((await bastion.cli(['mfa', 'enroll', 'alice'])).stdout)![1]!;
    await bastion.applyPolicy(['mfa:', '  waiveWithCertificate: true', 'rules:', '  - name: fleet', '    effect: allow', '    users: [alice]', "    targets: ['h*']", '    mfa: true', ''].join('\n'));
    await bastion.start();
  });
  after(async () => {
    await bastion.stop();
    await target?.stop();
  });

  const playbook = async () => {
    const dir = join(bastion.dir, 'ansible');
    mkdirSync(dir, { recursive: true });
    const cfg = bastion.sshConfig('alice', key, Object.fromEntries(HOSTS.map((h) => [h, LOGIN])));
    writeFileSync(join(dir, 'inventory.ini'), `[fleet]\n${HOSTS.join('\n')}\n`);
    writeFileSync(join(dir, 'play.yml'), '- hosts: fleet\n  gather_facts: false\n  tasks:\n    - raw: echo ok\n');
    const env = {
      ...process.env,
      HOME: dir, // ansible keeps its temp files and control sockets under ~/.ansible
      ANSIBLE_SSH_ARGS: `-F ${cfg} -o ControlMaster=no`,
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
    };
    return run('ansible-playbook', ['-i', join(dir, 'inventory.ini'), '-f', '20', join(dir, 'play.yml')], { env, cwd: dir, timeoutMs: 120_000 });
  };

  test('without a certificate the policy asks for TOTP: 20 forks are unreachable (no prompt in batch mode)', async () => {
    const r = await playbook();
    assert.notEqual(r.code, 0);
    assert.match(r.stdout, /UNREACHABLE/);
  });

  test('with the certificate fumidai issued, 20 forks run with no prompt', async () => {
    const issued = await issueCert(bastion, 'alice', key, secret, ['--for', '1h']);
    assert.equal(issued.code, 0, issued.stderr);
    writeFileSync(`${key}-cert.pub`, issued.stdout); // beside the key: ssh offers it on its own
    const t0 = Date.now();
    const r = await playbook();
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const h of HOSTS) assert.match(r.stdout, new RegExp(`${h}\\s+: ok=1 .*unreachable=0 +failed=0`), h);
    const byCert = bastion.events('AuthSuccess').filter((e) => e.method === 'certificate');
    assert.ok(byCert.length >= HOSTS.length, `${byCert.length} certificate logins`);
    console.log(`ansible: 20 hosts, 20 forks through fumidai with a certificate in ${seconds.toFixed(1)} s`);
  });
});
