import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chooseCipher, clientCiphers, CLIENT_KEXINIT_WAIT_MS } from './cipher-choice.js';
import { READABLE_ED25519_JS } from '../../test/helpers/ssh-keys.js';

const SERVER = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-ctr'];

test('cipher choice: the server\'s first cipher the client lists, else the whole list', () => {
  assert.deepEqual(chooseCipher(SERVER, ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes256-gcm@openssh.com']), ['aes256-gcm@openssh.com']);
  assert.deepEqual(chooseCipher(SERVER, ['aes256-ctr', 'aes128-ctr']), ['aes128-ctr']);
  assert.deepEqual(chooseCipher(SERVER, ['3des-cbc']), SERVER);
});

test('cipher choice: the client\'s cipher lists are read from its KEXINIT, a malformed one gives none', () => {
  const list = (s: string) => {
    const b = Buffer.alloc(4 + s.length);
    b.writeUInt32BE(s.length);
    b.write(s, 4, 'latin1');
    return b;
  };
  const payload = Buffer.concat([Buffer.alloc(17, 20), list('curve25519-sha256'), list('ssh-ed25519'), list('a,b'), list('c'), list('hmac-sha2-256')]);
  assert.deepEqual(clientCiphers(payload), { cs: ['a', 'b'], sc: ['c'] });
  assert.equal(clientCiphers(payload.subarray(0, 40)), undefined);
  const lying = Buffer.from(payload);
  lying.writeUInt32BE(10_000, 17);
  assert.equal(clientCiphers(lying), undefined);
});

/**
 * In a fresh process (with static imports as the CLI has them, the module first unless `patched` is false): an ssh2
 * server offering SERVER, and ssh2 clients each listing ciphers in its own order; prints the negotiated ciphers.
 */
function negotiate(clientLists: string[][], patched = true): string[] {
  const url = new URL('./cipher-choice.js', import.meta.url).href;
  const script = `
    ${patched ? `import * as m from ${JSON.stringify(url)};` : ''}
    import ssh2 from 'ssh2';
    const hostKey = ${READABLE_ED25519_JS};
    const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { cipher: ${JSON.stringify(SERVER)} } }, (conn) => {
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('error', () => {});
    });
    const out = [];
    server.listen(0, '127.0.0.1', async () => {
      for (const cipher of ${JSON.stringify(clientLists)}) {
        out.push(await new Promise((resolve) => {
          const client = new ssh2.Client();
          client.on('handshake', (n) => resolve(n.cs.cipher + '/' + n.sc.cipher));
          client.on('ready', () => client.end());
          client.on('error', (e) => resolve('error: ' + e.message));
          client.connect({ host: '127.0.0.1', port: server.address().port, username: 'x', algorithms: { cipher } });
        }));
      }
      console.log(JSON.stringify(out));
      server.close();
    });`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', timeout: 20_000 });
  return JSON.parse(out) as string[];
}

test('cipher choice: through ssh2, a client listing chacha20 first gets the server\'s AES-GCM, others what they have', () => {
  const lists = [
    ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com'], // OpenSSH's order
    ['chacha20-poly1305@openssh.com', 'aes128-ctr'],
    ['aes256-ctr'],
  ];
  assert.deepEqual(negotiate(lists), [
    'aes128-gcm@openssh.com/aes128-gcm@openssh.com',
    'chacha20-poly1305@openssh.com/chacha20-poly1305@openssh.com',
    'aes256-ctr/aes256-ctr',
  ]);
  // What the module changes: without it, the client's first choice wins.
  assert.deepEqual(negotiate(lists.slice(0, 1), false), ['chacha20-poly1305@openssh.com/chacha20-poly1305@openssh.com']);
});

test('cipher choice: a client that waits for the server\'s KEXINIT gets the whole offer after the wait', () => {
  const url = new URL('./cipher-choice.js', import.meta.url).href;
  const script = `
    import * as m from ${JSON.stringify(url)};
    import ssh2 from 'ssh2';
    import net from 'node:net';
    const hostKey = ${READABLE_ED25519_JS};
    const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { cipher: ${JSON.stringify(SERVER)} } }, (conn) => conn.on('error', () => {}));
    server.listen(0, '127.0.0.1', () => {
      const sock = net.connect(server.address().port, '127.0.0.1');
      let got = Buffer.alloc(0);
      let sent = 0;
      sock.on('data', (d) => {
        if (!sent) { sent = Date.now(); sock.write('SSH-2.0-Waiter_1.0\\r\\n'); }
        got = Buffer.concat([got, d]);
        const text = got.toString('latin1');
        if (text.includes('aes256-ctr')) {
          console.log(JSON.stringify({ ms: Date.now() - sent, full: text.includes('chacha20-poly1305@openssh.com,aes128-ctr') }));
          sock.destroy(); server.close();
        }
      });
    });`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', timeout: 20_000 });
  const { ms, full } = JSON.parse(out) as { ms: number; full: boolean };
  assert.ok(ms >= CLIENT_KEXINIT_WAIT_MS - 50 && ms < CLIENT_KEXINIT_WAIT_MS + 3000, `KEXINIT after ${ms} ms`);
  assert.equal(full, true);
});
