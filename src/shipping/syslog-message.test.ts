import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import { checkpointMessage, escapeParamValue, formatMessage, frame, parseMessage, SD_ID } from './syslog-message.js';
import { readSyslogExport } from './syslog-export.js';

const made: string[] = [];
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const sender = { facility: 13, hostname: 'web-1', appName: 'fumidai' };

/** Real checkpoint lines of a chain: a checkpoint after every two events. */
async function checkpoints(n: number): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fumidai-syslog-'));
  made.push(dir);
  const lines: string[] = [];
  const log = new AuditLog(join(dir, 'web-1'), privateKey, { onCheckpoint: (line) => lines.push(line) });
  for (let i = 0; i < n * 2; i++) {
    await log.record({ eventName: 'AuthSuccess', user: `u${i}`, sourceIp: '10.0.0.1' });
    if (i % 2 === 1) await log.checkpoint();
  }
  await log.close();
  return lines;
}

test('SD-PARAM values escape exactly ", \\ and ] (RFC 5424 6.3.3)', () => {
  assert.equal(escapeParamValue('a"b\\c]d[e=f g'), 'a\\"b\\\\c\\]d[e=f g');
  const text = formatMessage({ facility: 13, severity: 5, timestamp: '2026-12-05T10:00:00.123Z', hostname: 'h', appName: 'a', procId: '1', msgId: 'm', sd: [['x@32473', { v: 'a"b\\c]d' }]], msg: 'hello ] "world"' });
  assert.equal(text, '<109>1 2026-12-05T10:00:00.123Z h a 1 m [x@32473 v="a\\"b\\\\c\\]d"] hello ] "world"');
  const back = parseMessage(text)!;
  assert.deepEqual({ ...back.sd.get('x@32473') }, { v: 'a"b\\c]d' });
  assert.equal(back.msg, 'hello ] "world"');
  assert.equal(back.facility, 13);
  assert.equal(back.severity, 5);
});

test('empty header fields are the NILVALUE; fields that break the header are refused', () => {
  assert.equal(formatMessage({ facility: 1, severity: 6, timestamp: '', hostname: '', appName: '', procId: '', msgId: '', sd: [], msg: '' }), '<14>1 - - - - - -');
  assert.throws(() => formatMessage({ facility: 1, severity: 6, timestamp: '', hostname: 'a b', appName: '', procId: '', msgId: '', sd: [], msg: '' }), /hostname/);
  assert.throws(() => formatMessage({ facility: 24, severity: 6, timestamp: '', hostname: '', appName: '', procId: '', msgId: '', sd: [], msg: '' }), /facility/);
  assert.throws(() => formatMessage({ facility: 1, severity: 6, timestamp: 'yesterday', hostname: '', appName: '', procId: '', msgId: '', sd: [], msg: '' }), /RFC 3339/);
  assert.throws(() => formatMessage({ facility: 1, severity: 6, timestamp: '', hostname: '', appName: '', procId: '', msgId: '', sd: [['a=b', {}]], msg: '' }), /SD-NAME/);
});

test('octet-counting framing counts bytes, not characters', () => {
  assert.equal(frame('<14>1 - - - - - - é').toString(), '20 <14>1 - - - - - - é'); // 19 characters, 20 bytes
});

test('a checkpoint message carries the line verbatim, chain and seq in its structured data, the signing time', async () => {
  const [line] = await checkpoints(1);
  const text = checkpointMessage(sender, 'web-1', 3, line!);
  const m = parseMessage(text)!;
  assert.equal(m.msg, line);
  assert.equal(m.msgId, 'checkpoint');
  assert.deepEqual({ ...m.sd.get(SD_ID) }, { chain: 'web-1', seq: '3' });
  assert.equal(m.timestamp, (JSON.parse(line!) as { checkpoint: { at: string } }).checkpoint.at);
  assert.equal(m.hostname, 'web-1');
  assert.ok(text.startsWith('<109>1 '), 'facility 13 (audit), severity 5 (notice)');
});

test('an export: fumidai checkpoints found, others skipped, duplicates once, a forged or cut one named', async () => {
  const lines = await checkpoints(3);
  const msgs = lines.map((l, i) => checkpointMessage(sender, 'web-1', i + 1, l));
  const other = generateKeyPairSync('ed25519').privateKey;
  const forgedLine = (await (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fumidai-syslog-'));
    made.push(dir);
    let l = '';
    const log = new AuditLog(join(dir, 'web-1'), other, { onCheckpoint: (x) => (l = x) });
    await log.record({ eventName: 'AuthSuccess', user: 'mallory', sourceIp: '10.0.0.9' });
    await log.close();
    return l;
  })());
  const text = [
    '<13>1 2026-12-05T10:00:00Z web-1 sshd 77 - - Accepted publickey for alice',
    msgs[0],
    msgs[1],
    msgs[1],
    'Dec  5 10:00:00 web-1 cron[1]: something',
    checkpointMessage(sender, 'web-1', 99, forgedLine),
    msgs[2]!.slice(0, msgs[2]!.length - 40),
    msgs[2],
    '',
  ].join('\n');
  const read = readSyslogExport(text, publicKey, 'siem.log');
  assert.deepEqual(read.anchors.get('web-1'), lines.slice(0, 3)); // the fourth, the final one, was not sent
  assert.equal(read.skipped, 2);
  assert.equal(read.problems.length, 2, read.problems.join('\n'));
  assert.match(read.problems[0]!, /^siem\.log line 6 \(chain web-1, seq 99\): the checkpoint fails its signature under the trusted audit key$/);
  assert.match(read.problems[1]!, /^siem\.log line 7 \(chain web-1, seq 3\): a fumidai checkpoint message without a readable checkpoint line/);
});

test('fuzz: random and garbled lines never throw and are never taken for checkpoints', async () => {
  const lines = await checkpoints(2);
  const good = lines.map((l, i) => checkpointMessage(sender, 'web-1', i + 1, l));
  // A fixed seed: a failure can be replayed.
  let seed = 0x5eed;
  const rand = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000) * n); // the high bits
  const alphabet = '<>1 -[]="\\@{}:,0123456789abcXYZ\t\r\u00e9\u0000';
  const garble = (s: string) => {
    const chars = [...s];
    for (let k = 0, n = 1 + rand(6); k < n; k++) {
      const at = rand(chars.length + 1);
      const op = rand(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]!);
      else chars[at] = alphabet[rand(alphabet.length)]!;
    }
    return chars.join('');
  };
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const pick = rand(4);
    const line =
      pick === 0 ? randomBytes(rand(200)).toString('latin1')
      : pick === 1 ? [...Array(rand(80))].map(() => alphabet[rand(alphabet.length)]).join('')
      : garble(good[rand(good.length)]!);
    const m = parseMessage(line); // must not throw
    if (m) assert.ok(m.facility <= 23 && m.severity <= 7);
    const read = readSyslogExport(line, publicKey, 'fuzz');
    refused += read.problems.length;
    for (const found of read.anchors.values()) {
      // A garble may land where it changes nothing of the signed line (the header, the SD): then it is the real one.
      for (const l of found) assert.ok(lines.includes(l), `accepted a line that is no checkpoint of the chain: ${line}`);
      accepted += found.length;
    }
  }
  assert.ok(accepted < 3000);
  assert.ok(refused > 100, `${refused} garbled checkpoints reached the signature check`);
});
