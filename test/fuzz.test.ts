// Bounded fuzzing in `npm test` (FUMIDAI_FUZZ_RUNS runs per property, 300 by default, and at most 10 s each): every
// parser of attacker- or file-controlled bytes (test/fuzz/properties.ts), and the pre-login byte stream of a running
// bastion through raw sockets, after which a real login still works. bench/fuzz.ts runs the same for longer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { fuzzProperties } from './fuzz/properties.js';
import { Bastion, ssh } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';

const RUNS = Number(process.env.FUMIDAI_FUZZ_RUNS ?? 300);

for (const { name, property } of fuzzProperties()) {
  test(`fuzz: ${name}`, async () => {
    await fc.assert(property, { numRuns: RUNS, interruptAfterTimeLimit: 10_000 });
  });
}

/** What a hostile client sends before login: garbage, or a version line followed by garbage or broken packets. */
const preLogin = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.tuple(fc.constantFrom('SSH-2.0-fuzz\r\n', 'SSH-1.99-x\r\n', 'SSH-2.0-' + 'a'.repeat(300) + '\r\n', '\r\n'.repeat(40)), fc.uint8Array({ maxLength: 3000 })).map(([v, b]) => Buffer.concat([Buffer.from(v), b])),
  fc.array(fc.tuple(fc.nat({ max: 40_000 }), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 200 })), { maxLength: 5 }).map((packets) =>
    Buffer.concat([Buffer.from('SSH-2.0-fuzz\r\n'), ...packets.map(([len, pad, body]) => { const h = Buffer.alloc(5); h.writeUInt32BE(len, 0); h[4] = pad; return Buffer.concat([h, body]); })]),
  ),
);

describe('fuzz: the pre-login byte stream of a running bastion', () => {
  const bastion = new Bastion();
  let web1: Target;
  let cfg: string;
  before(async () => {
    await bastion.init();
    ({ target: web1, cfg } = await bastion.startWith('alice', 'web1'));
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('raw sockets send random bytes: each is answered or closed, the server stays up, and a real login works after', async () => {
    const send = (bytes: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        const s = connect(bastion.port, '127.0.0.1');
        const timer = setTimeout(() => { s.destroy(); resolve(); }, 500); // left waiting for more is fine: the server's timers end it
        s.on('error', () => undefined);
        s.on('close', () => { clearTimeout(timer); resolve(); });
        s.on('connect', () => s.end(Buffer.from(bytes)));
        s.setTimeout(5000, () => reject(new Error('socket hung')));
      });
    await fc.assert(fc.asyncProperty(preLogin, async (bytes) => {
      await send(bytes);
      assert.ok(bastion.process && bastion.process.exitCode === null, `the server stopped: ${bastion.log.slice(-2000)}`);
    }), { numRuns: Math.min(RUNS, 60), interruptAfterTimeLimit: 60_000 });
    const r = await ssh(cfg, ['web1', 'echo still-here']);
    assert.equal(r.stdout, 'still-here\n', r.stderr);
    assert.deepEqual(bastion.events('Crash'), []);
  });
});
