import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { insertHook } from './hybrid-kex.js';
import { READABLE_ED25519_JS } from '../../test/helpers/ssh-keys.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const url = new URL('./hybrid-kex.js', import.meta.url).href;
const kemUrl = new URL('./mlkem-x25519.js', import.meta.url).href;

/** Runs an ES module script in a fresh process (this one may have loaded ssh2 already); returns its stdout. */
function fresh(script: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: here, encoding: 'utf8', timeout: 30_000 }).trim();
}

/** An ssh2 server and client in one process offering these key exchanges (JS expressions); prints the outcome. */
const handshake = (serverKex: string, clientKex = serverKex, before = '') => `
  import ssh2 from 'ssh2';
  ${before}
  const hostKey = ${READABLE_ED25519_JS};
  let serverKex;
  const server = new ssh2.Server({ hostKeys: [hostKey], algorithms: { kex: ${serverKex} } }, (conn) => {
    conn.on('handshake', (n) => (serverKex = n.kex));
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => ctx.accept());
    conn.on('ready', () => conn.on('session', (accept) => accept().on('exec', (acc) => { const ch = acc(); ch.exit(0); ch.end('hello'); })));
  });
  server.listen(0, '127.0.0.1', () => {
    const client = new ssh2.Client();
    const done = (what) => { console.log(what); client.end(); server.close(); };
    client.on('error', (err) => done('error ' + err.level + ': ' + err.message));
    client.on('ready', () => client.exec('x', (err, ch) => {
      let out = '';
      ch.on('data', (d) => (out += d));
      ch.on('close', () => done(serverKex + ' ' + out));
    })).connect({ host: '127.0.0.1', port: server.address().port, username: 'x', algorithms: { kex: ${clientKex} } });
  });`;

test('hybrid kex: the hook goes into ssh2 1.17\'s kex module exactly once, and nowhere else', () => {
  const require = createRequire(import.meta.url);
  const source = readFileSync(require.resolve('ssh2/lib/protocol/kex.js'), 'utf8');
  const hooked = insertHook(source);
  assert.ok(hooked);
  assert.equal(hooked.split('EXTRA_KEX.get(kexType)').length, 2);
  assert.equal(hooked.length - source.length, hooked.split('\n').find((l) => l.includes('EXTRA_KEX'))!.length + 1);
  assert.equal(insertHook(source.replace('switch (kexType)', 'switch (kexType )')), undefined, 'another ssh2 text: unchanged');
  assert.equal(insertHook(source + source), undefined, 'an ambiguous text: unchanged');
});

test('hybrid kex: ssh2 client and server loaded after the patch agree on mlkem768x25519-sha256 and carry a session', () => {
  const out = fresh(`
    import * as m from ${JSON.stringify(url)};
    console.log(m.hybridKexApplied, m.HYBRID_KEX.join(), m.KEX_ALGORITHMS[0], m.KEX_ALGORITHMS.includes('curve25519-sha256'));
    ${handshake(`['mlkem768x25519-sha256']`)}`);
  assert.equal(out, 'true mlkem768x25519-sha256 mlkem768x25519-sha256 true\nmlkem768x25519-sha256 hello');
});

test('hybrid kex: a peer without it still gets a classic exchange from the same offer', () => {
  const out = fresh(`import * as m from ${JSON.stringify(url)}; ${handshake('m.KEX_ALGORITHMS', "['curve25519-sha256']")}`);
  assert.equal(out, 'curve25519-sha256 hello');
});

test('hybrid kex: a malformed server reply fails the handshake cleanly (an error event, no crash)', () => {
  const corrupt = `
    import { createRequire } from 'node:module';
    import { hybridExchange } from ${JSON.stringify(url)};
    import { mlkem768x25519 } from ${JSON.stringify(kemUrl)};
    const kex = createRequire(import.meta.url)('ssh2/lib/protocol/kex.js');
    const short = { ...mlkem768x25519, serverReply: (c) => { const r = mlkem768x25519.serverReply(c); return { ...r, reply: r.reply.subarray(1) }; } };
    const real = kex.EXTRA_KEX.get('mlkem768x25519-sha256');
    kex.EXTRA_KEX.set('mlkem768x25519-sha256', (Base, args) => args[1]._server ? new (hybridExchange(Base, short))(...args) : real(Base, args));`;
  const out = fresh(`import * as m from ${JSON.stringify(url)}; ${handshake(`['mlkem768x25519-sha256']`, undefined, corrupt)}`);
  assert.match(out, /^error handshake: .*reply is 1119 bytes, not 1120/);
});

test('hybrid kex: not applied when ssh2 was loaded first; the offer is then ssh2\'s own and still valid', () => {
  const out = fresh(`
    import ssh2 from 'ssh2';
    const m = await import(${JSON.stringify(url)});
    let refused = '';
    try { new ssh2.Server({ hostKeys: [${READABLE_ED25519_JS}], algorithms: { kex: ['mlkem768x25519-sha256'] } }); } catch (e) { refused = e.message; }
    new ssh2.Server({ hostKeys: [${READABLE_ED25519_JS}], algorithms: { kex: m.KEX_ALGORITHMS } });
    console.log(m.hybridKexApplied, m.HYBRID_KEX.length, m.KEX_ALGORITHMS.includes('mlkem768x25519-sha256'), refused);`);
  assert.equal(out, 'false 0 false Unsupported algorithm: mlkem768x25519-sha256');
});
