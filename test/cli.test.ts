// The administration CLI: the contract names, and bad input that gets one clear line and changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Bastion, BIN } from './helpers/fumidai.js';
import { keygen } from './helpers/sshd.js';
import { run, stopChild } from './helpers/proc.js';

/** Debian's own Node at /usr/bin/node, where it is older than the one running the tests (20 on this machine kind). */
const oldNode = () => existsSync('/usr/bin/node') && Number(execFileSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim()) < 22;

describe('cli', () => {
  const b = new Bastion();
  let pub: string;
  before(async () => {
    await b.init();
    pub = (await keygen(join(b.dir, 'k'))).pub;
  });
  after(() => b.stop());

  const failsWith = async (args: string[], line: RegExp) => {
    const r = await b.cli(args, true);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, line);
  };

  test('init creates keys, a commented config and the store, and is safe to repeat', async () => {
    for (const f of ['host_ed25519_key', 'host_ed25519_key.pub', 'host_ecdsa_key', 'host_ecdsa_key.pub', 'upstream_ed25519_key', 'audit_ed25519_key', 'audit_ed25519_key.pub', 'fumidai.yaml', 'fumidai.db'])
      assert.ok(existsSync(join(b.data, f)), f);
    assert.match(readFileSync(join(b.data, 'fumidai.yaml'), 'utf8'), /^# fumidai configuration/);
    assert.match((await b.cli(['init'])).stdout, /already initialized/);
  });

  test('serve on a busy port: one line naming the address, why, and the setting to change; no stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(busy.address() as AddressInfo).port}`;
    try {
      await failsWith(['serve', '--listen', address], new RegExp(`^fumidai: cannot listen on ${address}: the address is already in use .*; set another address with serve --listen \\(LISTEN_FAILED\\)$`));
      const config = join(b.data, 'fumidai.yaml');
      const before = readFileSync(config, 'utf8');
      writeFileSync(config, before.replace(/^listen: .*$/m, `listen: ${address}`));
      try {
        await failsWith(['serve'], new RegExp(`cannot listen on ${address}: .*; set another address with listen: in ${config.replace(/[.]/g, '\\.')} \\(or serve --listen\\) \\(LISTEN_FAILED\\)$`));
      } finally {
        writeFileSync(config, before);
      }
    } finally {
      busy.close();
    }
  });

  test('on a Node.js older than 22, one line says which is needed, before anything loads', { skip: !oldNode() && 'no Node.js older than 22 at /usr/bin/node' }, async () => {
    const r = await run('/usr/bin/node', [BIN, 'init', '--data', join(b.dir, 'old-node')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^fumidai: Node\.js 22 or later is needed \(24 LTS recommended\); this is v\d+\.\d+\.\d+: see README "Quick start" \(NODE_TOO_OLD\)\n$/);
    assert.ok(!existsSync(join(b.dir, 'old-node')));
  });

  test('key show prints the upstream public key in authorized_keys format', async () => {
    const out = (await b.cli(['key', 'show'])).stdout.trim();
    assert.match(out, /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ fumidai-upstream$/);
  });

  test('user add rejects bad keys and names, and adds nothing then', async () => {
    const bad = join(b.dir, 'bad.pub');
    writeFileSync(bad, 'ssh-ed25519 not-base64!!\n');
    await failsWith(['user', 'add', 'carol', '--key', bad], /^fumidai: .*bad\.pub: not a usable SSH public key .*\(KEY_INVALID\)$/);
    await failsWith(['user', 'add', 'carol', '--key', join(b.dir, 'k')], /this is a private key; give the \.pub file\) \(KEY_INVALID\)$/);
    await failsWith(['user', 'add', 'carol', '--key', join(b.dir, 'missing.pub')], /cannot read: ENOENT\) \(KEY_INVALID\)$/);
    await failsWith(['user', 'add', 'Carol!', '--key', pub], /^fumidai: invalid user name 'Carol!'.*\(NAME_INVALID\)$/);
    assert.doesNotMatch((await b.cli(['user', 'list'])).stdout, /carol/);
  });

  test('user, target and grant life cycle', async () => {
    await b.cli(['user', 'add', 'dave', '--key', pub]);
    await failsWith(['user', 'add', 'dave', '--key', pub], /user 'dave' already exists \(USER_EXISTS\)/);
    await failsWith(['user', 'add', 'erin', '--key', pub], /already belongs to user 'dave' \(KEY_IN_USE\)/);
    await failsWith(['target', 'add', 'db1', '--host', '10.0.0.9', '--port', '99999', '--login', 'pg'], /invalid port '99999'/);
    await b.cli(['target', 'add', 'db1', '--host', '10.0.0.9', '--port', '2022', '--login', 'postgres']);
    await failsWith(['grant', 'nobody', 'db1'], /no user named 'nobody' \(USER_UNKNOWN\)/);
    await failsWith(['grant', 'dave', 'nosuch'], /unknown target 'nosuch' \(TARGET_UNKNOWN\)/);
    assert.match((await b.cli(['grant', 'dave', 'db1'])).stdout, /granted dave -> postgres@db1/);
    assert.match((await b.cli(['user', 'list'])).stdout, /dave +active +ssh-ed25519 SHA256:\S+ +postgres@db1/);
    assert.match((await b.cli(['target', 'list'])).stdout, /db1 +10\.0\.0\.9:2022 +postgres +\(not yet pinned\)/);
    assert.match((await b.cli(['known-hosts', '--bastion', '[bastion]:2222'])).stdout, /^\[bastion\]:2222,db1 ssh-ed25519 AAAA/);
    await b.cli(['target', 'remove', 'db1']);
    assert.equal((await b.cli(['user', 'list'])).stdout.includes('postgres@db1'), false, 'grants go with their target');
    await b.cli(['user', 'remove', 'dave']);
    await failsWith(['user', 'remove', 'dave'], /no user named 'dave'/);
  });

  test('an invalid config file is refused with its file, line and field', async () => {
    const file = join(b.data, 'fumidai.yaml');
    const good = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, good.replace('listen: 127.0.0.1:2222', 'listen: nowhere'));
      await failsWith(['serve'], /^fumidai: .*fumidai\.yaml: line 6, field listen: expected HOST:PORT.*\(CONFIG_INVALID\)$/);
      writeFileSync(file, good.replace('  connectTimeout: 10', '  connectTimeout: 10\n  colour: blue'));
      await failsWith(['serve'], /fumidai\.yaml: line \d+, field upstream: unknown field 'colour' \(CONFIG_INVALID\)$/);
      writeFileSync(file, good.replace('ciphers: [aes128-gcm@openssh.com', 'ciphers: [rot13'));
      await failsWith(['serve'], /fumidai\.yaml: line \d+, field ssh\.ciphers\.0: Invalid enum value\. Expected 'aes128-gcm@openssh\.com' .*\(CONFIG_INVALID\)$/);
      writeFileSync(file, good.replace('hostKeys:', 'hostKeys: [oops'));
      await failsWith(['target', 'list'], /fumidai\.yaml: line \d+: .*\(CONFIG_INVALID\)$/);
    } finally {
      writeFileSync(file, good);
    }
  });

  test('serve skips a listed host key that is missing (HostKeyMissing), never makes one, and refuses with none', async () => {
    const c = new Bastion();
    try {
      await c.init();
      renameSync(join(c.data, 'host_ecdsa_key'), join(c.dir, 'moved'));
      await c.start();
      const [missing] = await c.waitForEvents('HostKeyMissing', 1);
      assert.equal(missing?.file, join(c.data, 'host_ecdsa_key'));
      assert.equal(existsSync(join(c.data, 'host_ecdsa_key')), false);
      await stopChild(c.process!);
      renameSync(join(c.data, 'host_ed25519_key'), join(c.dir, 'moved2'));
      c.log = ''; // the next start's lines only
      await assert.rejects(c.start(), /no host key to serve with: none of .*host_ed25519_key, .*host_ecdsa_key exists.*\(HOST_KEY_MISSING\)/);
      // `init` again (as for a data directory from before the ECDSA key) makes what is missing.
      await c.cli(['init']);
      assert.equal(existsSync(join(c.data, 'host_ecdsa_key')), true);
    } finally {
      await c.stop();
    }
  });

  test('commands on a missing data directory say how to create one', async () => {
    const r = await b.cli(['user', 'list', '--data', join(b.dir, 'nothing-here')], true);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no fumidai data directory at .*nothing-here; run 'fumidai init --data .*' first \(DATA_DIR_MISSING\)/);
  });
});
