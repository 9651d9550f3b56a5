// Fuzz properties of the parsers that command rules and access requests added: the shell words of a typed line, the
// patterns run over it, the sftp stream a file-rule gate reads, the terminal screen a shell rule reads a line from,
// and the signed approve/deny links a webhook sends. Whatever the input: an answer, never an exception or a hang.
import fc from 'fast-check';
import { linkProblem, signedPath } from '../../src/auth/request-links.js';
import { compilePattern, programs, words } from '../../src/policy/patterns.js';
import { ShellScreen } from '../../src/playback/shell-screen.js';
import { sftpGate } from '../../src/relay/sftp-gate.js';
import type { FuzzProperty } from './properties.js';

/** Lines that look like shell often enough: words, quotes, escapes, separators and substitutions, or any text. */
const shellLine = fc.oneof(
  fc.array(fc.constantFrom('curl', 'cu""rl', "c'u'rl", 'c\\url', 'sudo', '-u', 'root', '|', ';', '&&', '$(', ')', '`', '"', "'", '\\', 'x=1', ' ', '\t', '\n', 'sh', '/usr/bin/wget'), { maxLength: 40 }).map((w) => w.join('')),
  fc.string({ maxLength: 3000, unit: 'binary' }),
);

const matchers = [{ program: ['curl', 'wget', '*sh'] }, { glob: 'rm -rf *' }, { regex: 'curl.*\\|\\s*(ba)?sh' }, { regex: '(a+)+$' }, { exact: 'reboot' }].map(compilePattern);

/** Bytes of SFTP packets of any type and body, or any bytes. */
const sftpBytes = fc.oneof(
  fc
    .array(fc.tuple(fc.constantFrom(1, 3, 4, 5, 6, 101, 102, 103, 255), fc.uint8Array({ maxLength: 60 })), { maxLength: 10 })
    .map((ps) => Buffer.concat(ps.map(([type, body]) => Buffer.concat([Buffer.from([0, 0, (body.length + 1) >> 8, (body.length + 1) & 255, type]), body])))),
  fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a)),
);

async function throughGate(bytes: Buffer, step: number): Promise<{ up: Buffer; failed: string }> {
  const gate = sftpGate((path) => (path.includes('secret') ? 'refused' : undefined));
  const up: Buffer[] = [];
  let failed = '';
  gate.input.on('data', (c: Buffer) => up.push(c));
  gate.input.on('error', (e) => (failed = e.message));
  gate.output.on('error', () => undefined);
  for (let i = 0; i < bytes.length && !failed; i += step) gate.input.write(bytes.subarray(i, i + step));
  await new Promise((r) => setImmediate(r));
  return { up: Buffer.concat(up), failed };
}

const KEY = Buffer.alloc(32, 7);

export function ruleFuzzProperties(): FuzzProperty[] {
  return [
    {
      name: 'shell words and command patterns: any line is matched or not, never throws, in linear time',
      property: fc.property(shellLine, (line) => {
        const started = process.hrtime.bigint();
        words(line);
        programs(line);
        for (const m of matchers) m(line);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (ms > 1000) throw new Error(`${ms} ms for a line of ${line.length}`);
      }),
    },
    {
      name: 'sftp gate of file rules: any client bytes, however cut: no throw, the same bytes go on or the stream fails in one line',
      property: fc.asyncProperty(sftpBytes, fc.integer({ min: 1, max: 64 }), async (bytes, step) => {
        const whole = await throughGate(bytes, bytes.length || 1);
        const cut = await throughGate(bytes, step);
        if (/[\r\n]/.test(whole.failed) || /[\r\n]/.test(cut.failed)) throw new Error('a failure of more than one line');
        if (Boolean(whole.failed) !== Boolean(cut.failed)) throw new Error(`cut ${step}: '${cut.failed}' whole: '${whole.failed}'`);
        if (!whole.failed && !whole.up.equals(cut.up)) throw new Error(`cut ${step}: other bytes went on`);
      }),
    },
    {
      name: 'shell screen of shell rules: any output and keys, a line or none, never throws',
      property: fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 100 }), async (chunks, cols, rows) => {
        const screen = new ShellScreen(cols, rows);
        try {
          for (const [i, c] of chunks.entries()) {
            screen.output(Buffer.from(c));
            if (i === 1) screen.lineStarts();
            if (i === 3) screen.resize(cols + 1, rows);
          }
          const line = await screen.line();
          if (line !== undefined && typeof line !== 'string') throw new Error('not a line');
        } finally {
          screen.dispose();
        }
      }),
    },
    {
      name: 'signed request links: any expiry and signature is refused in one line unless it is the one signed',
      property: fc.property(fc.oneof(fc.constant(null), fc.string({ maxLength: 80 })), fc.oneof(fc.constant(null), fc.string({ maxLength: 80 })), fc.integer({ min: 1, max: 1e9 }), (exp: string | null, sig: string | null, id: number) => {
        const why = linkProblem(KEY, id, 'approve', exp ?? undefined, sig ?? undefined);
        const signed = new URL(`https://x${signedPath(KEY, id, 'approve', Math.floor(Date.now() / 1000) + 60)}`).searchParams;
        if (exp === signed.get('exp') && sig === signed.get('sig')) return;
        if (typeof why !== 'string' || /[\r\n]/.test(why)) throw new Error(`accepted or not one line: ${JSON.stringify(why)}`);
      }),
    },
  ];
}
