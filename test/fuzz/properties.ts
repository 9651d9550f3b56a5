// Properties of every parser that reads what an attacker or a broken file controls: whatever the bytes, it answers
// (a value, or fumidai's one-line error), never crashes, never hangs, and what it reports does not depend on how the
// bytes were cut into chunks. `npm test` runs each a bounded number of times (test/fuzz.test.ts); bench/fuzz.ts runs
// them for longer.
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { generateKeyPairSync } from 'node:crypto';
import { FumidaiError } from '../../src/errors.js';
import { SftpTracker } from '../../src/recording/sftp-tracker.js';
import { ScpTracker } from '../../src/recording/scp-tracker.js';
import type { FileOp } from '../../src/recording/file-ops.js';
import { FrameReader, MAGIC } from '../../src/recording/binary-log.js';
import { timedOutput } from '../../src/playback/replay.js';
import { parsePublicKey } from '../../src/identity/public-key.js';
import { parsePolicy } from '../../src/policy/document.js';
import { parseConfig } from '../../src/config/load.js';
import { anchorObjectKey, anchorOf, auditObjectKey, auditPieceKey, auditPieceOf, auditSegmentOf } from '../../src/shipping/object-keys.js';
import { sshdLine } from '../../src/audit/sshd-lines.js';
import type { AuditEvent } from '../../src/audit/events.js';
import { verifySegments } from '../../src/audit/verify.js';
import { certFuzzProperties } from './cert-properties.js';
import { ruleFuzzProperties } from './rule-properties.js';
import { TimeScanner } from '../../src/playback/keyframes.js';

export interface FuzzProperty {
  name: string;
  property: fc.IAsyncPropertyWithHooks<unknown> | fc.IPropertyWithHooks<unknown>;
}

/** A fumidai error a person can read: its code, one line. */
function assertOneLine(err: unknown): void {
  if (!(err instanceof FumidaiError)) throw new Error(`not a FumidaiError: ${String(err)}`);
  if (/[\r\n]/.test(err.line)) throw new Error(`more than one line: ${JSON.stringify(err.line)}`);
}

/** The same bytes cut at other places. */
function rechunk(bytes: Uint8Array, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) out.push(Buffer.from(bytes.subarray(from, c)));
    from = Math.max(from, c);
  }
  return out;
}

/** Bytes that look like SFTP often enough to go deep: length-prefixed packets of known types, with random bodies. */
const sftpPackets = fc.array(
  fc.tuple(fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 101, 102, 103, 104, 105, 200, 201, 255), fc.uint8Array({ maxLength: 80 })),
  { maxLength: 12 },
).map((packets) => Buffer.concat(packets.map(([type, body]) => {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(body.length + 1, 0);
  head[4] = type;
  return Buffer.concat([head, body]);
})));
const sftpBytes = fc.oneof(sftpPackets, fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)));

function trackSftp(client: Buffer[], server: Buffer[]): FileOp[] {
  const ops: FileOp[] = [];
  const t = new SftpTracker((op) => ops.push(op));
  // One direction after the other keeps the order of replies after requests the same in both cuttings.
  for (const c of client) t.clientData(c);
  for (const s of server) t.serverData(s);
  t.end();
  return ops;
}

async function collect<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

const ED25519 = generateKeyPairSync('ed25519');
const frame = (ms: number, stream: number, data: Uint8Array) => {
  const head = Buffer.alloc(9);
  head.writeUInt32BE(ms, 0);
  head.writeUInt8(stream, 4);
  head.writeUInt32BE(data.length, 5);
  return Buffer.concat([head, data]);
};

export function fuzzProperties(): FuzzProperty[] {
  const cuts = fc.array(fc.nat(), { maxLength: 6 });
  return [
    {
      name: 'sftp tracker: any bytes either way: no throw, and the same file operations however they are cut',
      property: fc.property(sftpBytes, sftpBytes, cuts, cuts, (c, s, cutC, cutS) => {
        const whole = trackSftp([c], [s]);
        const pieces = trackSftp(rechunk(c, cutC), rechunk(s, cutS));
        if (JSON.stringify(whole) !== JSON.stringify(pieces)) throw new Error('chunking changed what was reported');
      }),
    },
    {
      name: 'scp tracker: any bytes after any command line: no throw, the same operations however they are cut',
      property: fc.property(
        fc.constantFrom<'write' | 'read'>('write', 'read'),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.stringMatching(/^([CD][0-7]{4} \d{1,6} [^\n/]{0,10}\n|E\n|T\d+ 0 \d+ 0\n|[\0\x01\x02]){0,6}$/).map((x) => new TextEncoder().encode(x))),
        cuts,
        (op, bytes, cut) => {
          const run = (chunks: Buffer[]) => {
            const ops: FileOp[] = [];
            const t = new ScpTracker({ op, path: '/dst' }, (o) => ops.push(o));
            for (const ch of chunks) t.data(ch);
            return ops;
          };
          if (JSON.stringify(run([Buffer.from(bytes)])) !== JSON.stringify(run(rechunk(bytes, cut)))) throw new Error('chunking changed what was reported');
        },
      ),
    },
    {
      name: 'binary recording reader: frames written come back as written; garbage after them stops it, never throws',
      property: fc.property(
        fc.array(fc.tuple(fc.nat({ max: 1000 }), fc.constantFrom(0, 1, 2, 3), fc.uint8Array({ minLength: 1, maxLength: 50 })), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 60 }),
        cuts,
        (frames, tail, cut) => {
          let ms = 0;
          const timed = frames.map(([d, stream, data]) => ({ ms: (ms += d), stream, data }));
          const bytes = Buffer.concat([Buffer.from(MAGIC + '{"version":1}\n'), ...timed.map((f) => frame(f.ms, f.stream, f.data)), Buffer.from(tail)]);
          const reader = new FrameReader();
          const got = rechunk(bytes, cut).flatMap((c) => reader.push(c));
          const want = timed.map((f) => `${f.ms}/${f.stream}/${Buffer.from(f.data).toString('hex')}`);
          const seen = got.slice(0, want.length).map((f) => `${f.ms}/${f.stream}/${f.data.toString('hex')}`);
          if (JSON.stringify(seen) !== JSON.stringify(want)) throw new Error('the frames written did not come back');
          if (reader.validBytes > bytes.length) throw new Error('valid bytes past the end');
        },
      ),
    },
    {
      name: 'recording output reader (asciicast or binary, any bytes): yields or fails with one Error, never hangs',
      property: fc.asyncProperty(
        fc.oneof(
          fc.array(fc.oneof(fc.json(), fc.constantFrom('[0.5,"o","x"]', '[1,"b","aGk="]', '[2,"i","ls"]', '[1e308,"o",""]', '[-1,"o","y"]', '[0.1,"r","80x24"]')), { maxLength: 8 }).map((lines) => ['{"version":2,"width":80,"height":24}', ...lines].join('\n')),
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.concat([Buffer.from(MAGIC), Buffer.from(a)])),
          fc.string({ maxLength: 200 }),
        ),
        async (input) => {
          try {
            await collect(timedOutput(Readable.from([Buffer.from(input)])));
          } catch (err) {
            if (!(err instanceof Error) || /[\r\n]/.test(err.message)) throw new Error(`not a one-line error: ${String(err)}`);
          }
        },
      ),
    },
    {
      name: 'public key parser: any text is a key or KEY_INVALID in one line',
      property: fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.tuple(fc.constantFrom('ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'sk-ssh-ed25519@openssh.com', 'x'), fc.base64String({ maxLength: 120 }), fc.string({ maxLength: 20 })).map((p) => p.join(' ')),
        ),
        (text) => {
          try {
            parsePublicKey(text, 'fuzz');
          } catch (err) {
            assertOneLine(err);
          }
        },
      ),
    },
    {
      name: 'policy and config files: any text is accepted or refused with one line naming where',
      property: fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.constantFrom('rules:\n  - allow: {users: [alice]}\n', 'rules: [{deny: {}}]', 'listen: "[::1]:x"\n', 'a: &x [*x]\n', 'shipping:\n  bucket: B\n', 'rules:\n  - users: [alice]\n    hours: "25:00-26:00"\n'),
        ),
        (text) => {
          const policy = parsePolicy(text);
          if (!policy.ok && /[\r\n]/.test(policy.problem.message + policy.problem.where)) throw new Error('a policy problem in more than one line');
          try {
            parseConfig(text, 'fuzz.yaml');
          } catch (err) {
            assertOneLine(err);
          }
        },
      ),
    },
    {
      name: 'bucket object keys: any key is recognised or not, never misread; made keys read back',
      property: fc.property(fc.string({ maxLength: 120 }), fc.stringMatching(/^[A-Za-z0-9][-A-Za-z0-9_.]{0,20}$/), fc.nat({ max: 999_999_999 }), (key, chain, seq) => {
        for (const prefix of ['', 'fumidai/']) {
          const a = anchorOf(prefix, prefix + key);
          if (a && anchorObjectKey(prefix, a.chain, a.seq) !== prefix + key) throw new Error(`anchor key misread: ${key}`);
          const s = auditSegmentOf(prefix, prefix + key);
          if (s && auditObjectKey(prefix, s.chain, s.file) !== prefix + key) throw new Error(`segment key misread: ${key}`);
          const made = anchorOf(prefix, anchorObjectKey(prefix, chain, seq));
          if (made?.chain !== chain || made.seq !== seq) throw new Error('a made anchor key does not read back');
          const p = auditPieceOf(prefix, prefix + key);
          if (p && auditPieceKey(auditObjectKey(prefix, p.chain, p.file), p.offset) !== prefix + key) throw new Error(`piece key misread: ${key}`);
          const piece = auditPieceOf(prefix, auditPieceKey(auditObjectKey(prefix, chain, '2026-12-05.jsonl'), seq));
          if (piece?.chain !== chain || piece.offset !== seq) throw new Error('a made piece key does not read back');
        }
      }),
    },
    {
      name: 'sshd-style lines: whatever a client chose for its fields, one line of printable ASCII',
      property: fc.property(
        fc.constantFrom<AuditEvent['eventName']>('AuthSuccess', 'AuthFailure', 'MfaFailure', 'ConnectionClosed', 'SessionStart', 'SessionEnd'),
        fc.record({ user: fc.string(), login: fc.string(), target: fc.string(), reason: fc.string(), sshUser: fc.string(), keyType: fc.string(), method: fc.string() }),
        (eventName, f) => {
          const e = { eventId: 'x', eventTime: '2026-12-05T00:00:00Z', eventName, eventCode: 'FM', result: 'failure', sourceIp: '10.0.0.1', sourcePort: 2, sessionId: f.target, user: f.user, login: f.login, target: f.target, reason: f.reason, details: { sshUser: f.sshUser, keyType: f.keyType, method: f.method } } as AuditEvent;
          const out = sshdLine(e);
          if (out !== undefined && !/^[\x20-\x7e]*$/.test(out)) throw new Error(`not one line of printable ASCII: ${JSON.stringify(out)}`);
        },
      ),
    },
    {
      name: 'audit segment verifier: any lines give a verdict, never an exception',
      property: fc.property(fc.array(fc.oneof(fc.string({ maxLength: 120 }), fc.json()), { maxLength: 10 }), (lines) => {
        verifySegments([{ name: '2026-12-05.jsonl', text: lines.join('\n') }], ED25519.publicKey);
      }),
    },
    ...certFuzzProperties(),
    ...ruleFuzzProperties(),
    {
      name: 'replay index time scan (any events, times out of order, a damaged line): segments the player accepts, however cut',
      property: fc.property(fc.array(castLine, { maxLength: 40 }), cuts, (lines, cut) => {
        const text = Buffer.from([JSON.stringify({ version: 2, width: 80, height: 24 }), ...lines, ''].join('\n'));
        const scan = (at: number[]) => {
          const scanner = new TimeScanner(64);
          const ends = [...new Set(at.map((n) => text.indexOf(0x0a, n % text.length) + 1).filter((e) => e > 0)), text.length].sort((a, b) => a - b);
          let from = 0;
          for (const end of ends) {
            if (end <= from) continue;
            if (!scanner.lines(text.subarray(from, end))) break; // as forEachLines stops at a damaged line
            from = end;
          }
          return scanner.finish(text.length);
        };
        const index = scan(cut);
        if (JSON.stringify(index) !== JSON.stringify(scan([]))) throw new Error('the index depends on how the file was cut');
        index.segments.forEach((seg, k) => {
          if (k === 0 ? seg.ms !== 0 : seg.ms <= index.segments[k - 1]!.ms || seg.ms >= index.durationMs || seg.compMs <= index.segments[k - 1]!.compMs) throw new Error(`segment ${k} out of order`);
          if (text[seg.offset - 1] !== 0x0a) throw new Error(`segment ${k} does not start a line`);
        });
      }),
    },
  ];
}

/** An asciicast event line, mostly well formed: any time, type and text; now and then not an event at all. */
const castLine = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.nat({ max: 99_999 }).map((n) => n / 1000)), fc.constantFrom('o', 'i', 'r', 'b', 'm'), fc.string({ unit: 'binary', maxLength: 30 })).map((e) => JSON.stringify(e)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).filter((x) => !x.includes('\n')) },
);
