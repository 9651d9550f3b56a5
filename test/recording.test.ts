// Every channel is recorded: terminals as asciicast (checked with the real asciinema CLI), exec and file transfers
// as frames and file operations with sha256; recordings survive SIGKILL; a full disk ends the session, never
// continues it unrecorded; replay, list, show and search read it all back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import { run } from './helpers/proc.js';
import { LOGIN, type Target } from './helpers/sshd.js';
import { decodeBinary, STREAM } from '../src/recording/binary-log.js';
import { parseCast } from '../src/recording/asciicast.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('recording', () => {
  const bastion = new Bastion();
  let web1: Target;
  let cfg: string;
  const show = async (key: string) => JSON.parse((await bastion.cli(['sessions', 'show', key, '--json'])).stdout);
  const sessions = async (...args: string[]) =>
    (await bastion.cli(['sessions', 'list', '--json', ...args])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const latest = async () => (await sessions()).at(-1);

  before(async () => {
    await bastion.init();
    ({ target: web1, cfg } = await bastion.startWith('alice', 'web1'));
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('a terminal session is asciicast v2 that asciinema cat plays back byte for byte', async () => {
    // Multi-byte characters, colours and a redraw; `sleep` splits output into several chunks.
    const script = JSON.stringify([
      { expect: '\\$ ' },
      { send: "printf 'caf\\303\\251 \\343\\201\\202\\343\\201\\204 \\033[31mred\\033[0m\\n'; for i in 1 2 3; do printf 'line %s \\342\\234\\223\\n' $i; sleep 0.2; done\r" },
      { expect: 'line 3' },
      { send: 'echo marker-$((40+2))\r' },
      { expect: 'marker-42' },
      { send: 'exit\r' },
    ]);
    // The client's side of its pty, captured raw: exactly the bytes the client received and showed.
    const received = execFileSync('python3', [PTY, '30', '100', script, '--', 'ssh', '-F', cfg, '-tt', 'web1']);
    const s = await latest();
    assert.equal(s.exitStatus, 0);
    const { channels } = await show(s.auditKey);
    assert.equal(channels.length, 1);
    const cast = channels[0];
    assert.equal(cast.state, 'sealed');
    assert.equal(cast.sha256, sha(readFileSync(cast.recordingPath)), 'the sealed digest matches the file');
    const { header, events } = parseCast(readFileSync(cast.recordingPath, 'utf8'));
    assert.equal(header.width, 100);
    assert.equal(header.height, 30);
    assert.equal(header.title, s.auditKey);
    assert.ok(events.some((e) => e.type === 'i' && e.data.includes('echo marker')), 'input is recorded');
    // asciinema cat needs a terminal: it runs in a pty too, and prints the recorded output raw.
    const played = execFileSync('python3', [PTY, '30', '100', '[]', '--', 'asciinema', 'cat', cast.recordingPath]);
    assert.ok(played.length > 100);
    assert.equal(sha(played), sha(received), 'asciinema cat output equals what the client received');
    assert.match(played.toString(), /café あい/);
  });

  test('exec: command, stdout, stderr and exit status are recorded', async () => {
    const r = await ssh(cfg, ['web1', 'echo out-text; echo err-text >&2; exit 3']);
    assert.equal(r.code, 3);
    const s = await latest();
    assert.equal(s.exitStatus, 3);
    const { channels } = await show(s.auditKey);
    assert.equal(channels[0].kind, 'exec');
    assert.equal(channels[0].command, 'echo out-text; echo err-text >&2; exit 3');
    assert.equal(channels[0].exitStatus, 3);
    const { frames, complete } = decodeBinary(readFileSync(channels[0].recordingPath));
    assert.ok(complete);
    const text = (stream: number) => Buffer.concat(frames.filter((f) => f.stream === stream).map((f) => f.data)).toString();
    assert.equal(text(STREAM.stdout), 'out-text\n');
    assert.equal(text(STREAM.stderr), 'err-text\n');
    assert.deepEqual(JSON.parse(text(STREAM.meta)), { exit: 3 });
  });

  test('scp (both protocols) and sftp are recorded as file operations with sha256', async () => {
    const src = join(bastion.dir, 'payload.bin');
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(src, payload);
    const remoteDir = `/tmp/fumidai-rec-${process.pid}`;
    mkdirSync(remoteDir, { recursive: true });
    execFileSync('chown', [LOGIN, remoteDir]);
    const digest = sha(payload);
    for (const legacy of [false, true]) {
      const flags = ['-F', cfg, '-q', ...(legacy ? ['-O'] : [])];
      assert.equal((await run('scp', [...flags, src, `web1:${remoteDir}/up-${legacy}.bin`], { timeoutMs: 60_000 })).code, 0);
      const up = await show((await latest()).auditKey);
      const w = up.fileOps.find((o: { op: string }) => o.op === 'write');
      assert.ok(w, JSON.stringify(up.fileOps));
      assert.match(w.path, new RegExp(`${remoteDir}/up-${legacy}.bin|${remoteDir}/up-${legacy}.bin/payload.bin`));
      assert.equal(w.bytes, payload.length);
      assert.equal(w.sha256, digest);
      assert.equal((await run('scp', [...flags, `web1:${remoteDir}/up-${legacy}.bin`, join(bastion.dir, 'down.bin')], { timeoutMs: 60_000 })).code, 0);
      const down = await show((await latest()).auditKey);
      const rd = down.fileOps.find((o: { op: string }) => o.op === 'read');
      assert.ok(rd, JSON.stringify(down.fileOps));
      assert.equal(rd.bytes, payload.length);
      assert.equal(rd.sha256, digest);
    }
    const batch = join(bastion.dir, 'batch');
    writeFileSync(batch, [`put ${src} ${remoteDir}/s.bin`, `rename ${remoteDir}/s.bin ${remoteDir}/t.bin`, `mkdir ${remoteDir}/d`, `rm ${remoteDir}/t.bin`].join('\n') + '\n');
    assert.equal((await run('sftp', ['-F', cfg, '-b', batch, 'web1'], { timeoutMs: 60_000 })).code, 0);
    const ops = (await show((await latest()).auditKey)).fileOps.map((o: { op: string; path: string; to?: string; sha256?: string; result: string }) => [o.op, o.path, o.to, o.result]);
    assert.deepEqual(ops.filter((o: string[]) => o[0] !== 'setstat'), [
      ['write', `${remoteDir}/s.bin`, undefined, 'ok'],
      ['rename', `${remoteDir}/s.bin`, `${remoteDir}/t.bin`, 'ok'],
      ['mkdir', `${remoteDir}/d`, undefined, 'ok'],
      ['remove', `${remoteDir}/t.bin`, undefined, 'ok'],
    ]);
    execFileSync('rm', ['-rf', remoteDir]);
  });

  test('sessions list filters, replay plays back, search finds screen text with its offset', async () => {
    assert.ok((await sessions('--user', 'alice', '--target', 'web1')).length >= 5);
    assert.equal((await sessions('--user', 'nobody')).length, 0);
    assert.equal((await sessions('--since', '2099-01-01T00:00:00Z')).length, 0);
    const bad = await bastion.cli(['sessions', 'list', '--since', 'yesterday-ish'], true);
    assert.match(bad.stderr, /--since must be an ISO 8601 time, not 'yesterday-ish' \(ARGUMENT_INVALID\)/);
    const terminal = (await sessions()).find((s) => s.exitStatus === 0)!;
    const replayed = await bastion.cli(['replay', terminal.auditKey, '--no-wait']);
    assert.match(replayed.stdout, /marker-42/);
    const timed = Date.now();
    await bastion.cli(['replay', terminal.auditKey, '--speed', '4']);
    assert.ok(Date.now() - timed >= 100, 'timed replay waits between events');
    // Indexing runs after sealing; give it a moment.
    let hits = '';
    for (let i = 0; i < 20 && !hits.includes('marker-42'); i++) {
      hits = (await bastion.cli(['sessions', 'search', 'marker-42'])).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(hits, new RegExp(`${terminal.auditKey}\\s+1\\s+\\d+\\.\\ds`));
    // marker-42 stays on the screen through later snapshots: it is one hit, not one per snapshot.
    assert.equal(hits.split('\n').filter((l) => l.startsWith(terminal.auditKey)).length, 2, hits); // the typed line and its output
    const table = (await bastion.cli(['sessions', 'list'])).stdout;
    assert.match(table, /KIND\s+WHAT/);
    assert.match(table, new RegExp(`${terminal.auditKey} .*\\bshell\\s+shell\\s*$`, 'm'));
    const text = (await bastion.cli(['sessions', 'show', terminal.auditKey])).stdout;
    assert.match(text, /commands typed \(channel 1\)\n(.*\n)*\s+echo marker-\$\(\(40\+2\)\)/);
    assert.match((await bastion.cli(['replay', 'nope', '--no-wait'], true)).stderr, /no session with audit key 'nope' \(SESSION_UNKNOWN\)/);
  });

  test('sessions export: a terminal recording as one HTML page with the player and the cast exactly as recorded', async () => {
    const all = await sessions();
    const terminal = all.find((s) => s.exitStatus === 0)!;
    const out = join(bastion.dir, 'session.html');
    const r = await bastion.cli(['sessions', 'export', terminal.auditKey, out]);
    assert.equal(r.stdout, `wrote ${out}\n`);
    const html = readFileSync(out, 'utf8');
    const open = '<script id="fumidai-cast" type="application/json">';
    const cast = (JSON.parse(html.slice(html.indexOf(open) + open.length, html.indexOf('</script>', html.indexOf(open)))) as string[]).join('\n') + '\n';
    const { channels } = await show(terminal.auditKey);
    assert.equal(cast, readFileSync(channels[0].recordingPath, 'utf8'));
    assert.match(html, /AsciinemaPlayer\.create/);
    assert.match(html, /\(the file matches\)/);
    const execOnly = all.find((s) => s.exitStatus === 3)!; // the exec session above
    assert.match((await bastion.cli(['sessions', 'export', execOnly.auditKey, out], true)).stderr, /has no terminal recording .* \(ARGUMENT_INVALID\)/);
    assert.match((await bastion.cli(['sessions', 'export', terminal.auditKey, '/nonexistent/dir/x.html'], true)).stderr, /^fumidai: cannot write \/nonexistent\/dir\/x\.html: ENOENT \(ARGUMENT_INVALID\)$/m);
  });
});
