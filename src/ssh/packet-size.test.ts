import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PIECE_BYTES } from './limits.js';
import { READABLE_ED25519_JS } from '../../test/helpers/ssh-keys.js';

// In a fresh process (this one may have loaded ssh2 already), with static imports as the CLI has them (Node 22 and
// later put an imported CommonJS module in require's cache before running it): a client channel opened through ssh2
// asks its peer for packets of PIECE_BYTES at most. The channel is opened between an ssh2 client and server.
test('ssh2 packet size: channels opened after the import ask for packets that fit the tap\'s pieces', () => {
  const url = new URL('./packet-size.js', import.meta.url).href;
  const script = `
    import * as m from ${JSON.stringify(url)};
    import ssh2 from 'ssh2';
    const hostKey = ${READABLE_ED25519_JS};
    const seen = [];
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (conn) => {
      conn.on('authentication', (ctx) => ctx.accept());
      conn.on('ready', () => conn.on('session', (accept) => { const s = accept(); s.on('exec', (acc) => { const ch = acc(); seen.push(ch.outgoing.packetSize); ch.exit(0); ch.end(); }); }));
    });
    server.listen(0, '127.0.0.1', () => {
      const client = new ssh2.Client();
      client.on('ready', () => client.exec('true', (err, ch) => {
        if (err) throw err;
        ch.on('close', () => { console.log(m.packetSizeSet, seen[0]); client.end(); server.close(); });
        ch.resume();
      })).connect({ host: '127.0.0.1', port: server.address().port, username: 'x' });
    });`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', timeout: 20_000 });
  assert.equal(out.trim(), `true ${PIECE_BYTES}`);
});
