// Evidence pages end to end: a real terminal session and an exec through fumidai, exported, verified by the CLI with
// the pinned fingerprint, and opened offline in Debian's Chromium (driven by playwright-core): the page's own verdict
// reads valid and the final screen shows before play. One byte changed in the recording part or in an event makes
// both the CLI (exit 3) and the page name the failing part.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bastion, ROOT, ssh } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');
const CHROMIUM = '/usr/bin/chromium';

describe('evidence', () => {
  const bastion = new Bastion();
  let web1: Target;
  let fingerprint: string;
  let shellPage: string;
  let execPage: string;
  let sftpPage: string;
  let uploadSha: string;
  const latest = async () => JSON.parse((await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').at(-1)!) as { auditKey: string };
  /** Exports, retrying while the session's last events wait for their checkpoint (written within a second). */
  const exportOf = async (key: string, out: string) => {
    for (let i = 0; ; i++) {
      const r = await bastion.cli(['evidence', 'export', key, '-o', out], true);
      if (r.code === 0) return out;
      if (i > 10 || !/not yet covered/.test(r.stderr)) throw new Error(`evidence export failed (${r.code}): ${r.stderr}`);
      await sleep(500);
    }
  };
  const verify = (file: string) => bastion.cli(['evidence', 'verify', file, '--fingerprint', fingerprint], true);
  /** The page with one byte changed: `at` characters after the first `find`. */
  const tampered = (file: string, name: string, find: string, at: number) => {
    const html = readFileSync(file, 'utf8');
    const i = html.indexOf(find);
    assert.ok(i > 0, `${find} is in the page`);
    const c = html[i + at]!;
    const out = join(bastion.dir, name);
    writeFileSync(out, html.slice(0, i + at) + (c === 'A' ? 'B' : 'A') + html.slice(i + at + 1));
    return out;
  };

  before(async () => {
    await bastion.init();
    let cfg: string;
    ({ target: web1, cfg } = await bastion.startWith('alice', 'web1'));
    fingerprint = (await bastion.cli(['audit', 'key'])).stdout.split('\n', 1)[0]!;
    const script = JSON.stringify([{ expect: '\\$ ' }, { send: 'echo typed-$((6*7))\r' }, { expect: 'typed-42' }, { send: 'echo last-$((7*8)); exit\r' }]);
    execFileSync('python3', [PTY, '24', '80', script, '--', 'ssh', '-F', cfg, '-tt', 'web1']);
    shellPage = await exportOf((await latest()).auditKey, join(bastion.dir, 'shell.html'));
    assert.equal((await ssh(cfg, ['web1', 'echo exec-out-$((2*21))'])).code, 0);
    execPage = await exportOf((await latest()).auditKey, join(bastion.dir, 'exec.html'));
    // An sftp session: one upload and one download of the same file.
    const upload = join(bastion.dir, 'upload.bin');
    const bytes = randomBytes(300_000);
    writeFileSync(upload, bytes);
    uploadSha = createHash('sha256').update(bytes).digest('hex');
    execFileSync('sftp', ['-F', cfg, '-b', '-', 'web1'], { input: `put ${upload} evidence-upload.bin\nget evidence-upload.bin ${upload}.back\n` });
    assert.equal(createHash('sha256').update(readFileSync(`${upload}.back`)).digest('hex'), uploadSha);
    sftpPage = await exportOf((await latest()).auditKey, join(bastion.dir, 'sftp.html'));
  });
  after(async () => {
    await bastion.stop();
    await web1?.stop();
  });

  test('evidence verify: valid with the pinned fingerprint, without a data directory', async () => {
    for (const page of [shellPage, execPage]) {
      const r = await verify(page);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^valid: \\d+ events of .* and 1 recordings, proven by \\d+ checkpoints signed by ${fingerprint.replace(/[+/]/g, '\\$&')}`, 'm'));
    }
    const sftp = await verify(sftpPage);
    assert.equal(sftp.code, 0, sftp.stdout + sftp.stderr);
    assert.match(sftp.stdout, /^valid: /m);
    const unpinned = await bastion.cli(['evidence', 'verify', shellPage], true);
    assert.equal(unpinned.code, 0);
    assert.match(unpinned.stdout, /not checked against a pinned key/);
    assert.match(readFileSync(execPage, 'utf8'), /Content-Security-Policy/);
  });

  test('evidence verify: one byte changed in the recording or in an event exits 3 naming the part', async () => {
    const rec = await verify(tampered(shellPage, 'rec.html', '-shell.cast","base64":"', 300));
    assert.equal(rec.code, 3, rec.stdout + rec.stderr);
    assert.match(rec.stdout, /DOES NOT VERIFY: recording \d+-shell\.cast does not match its sealed sha256/);
    const ev = await verify(tampered(execPage, 'event.html', '\\"command\\":\\"echo exec-out', 20));
    assert.equal(ev.code, 3, ev.stdout + ev.stderr);
    assert.match(ev.stdout, /DOES NOT VERIFY: event seq \d+ \(ChannelOpen\) does not verify: its hash does not match/);
    assert.match(ev.stderr, /audit trail tampered/);
    const file = await verify(tampered(sftpPage, 'file.html', `\\"sha256\\":\\"${uploadSha}`, 30));
    assert.equal(file.code, 3, file.stdout + file.stderr);
    assert.match(file.stdout, /DOES NOT VERIFY: event seq \d+ \(FileTransfer\) does not verify/);
  });

  test('in Chromium, offline: the verdict reads valid, the final screen shows before play; tampering is named', { skip: !existsSync(CHROMIUM) && 'no /usr/bin/chromium' }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
      const requests: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
      await page.goto(`file://${shellPage}`);
      await page.waitForFunction(() => document.getElementById('verdict')!.className !== '', undefined, { timeout: 15000 });
      assert.match(await page.textContent('#verdict') ?? '', /^VALID: \d+ events and 1 recording proven/);
      assert.match(await page.textContent('#fingerprint') ?? '', new RegExp(fingerprint.replace(/[+/]/g, '\\$&')));
      // The final screen, before play is pressed: the player's poster at the recording's end.
      await page.waitForFunction(() => /last-56/.test(document.querySelector('#player')?.textContent ?? ''), undefined, { timeout: 15000 });
      assert.ok(await page.getByText('last-56').first().isVisible());
      assert.match(await page.textContent('#typed') ?? '', /echo typed-\$\(\(6\*7\)\)/);
      // FUMIDAI_SCREENSHOT=FILE keeps it for a person to look at; else it goes with the test's temp dir.
      await page.screenshot({ path: process.env.FUMIDAI_SCREENSHOT || join(bastion.dir, 'evidence.png'), fullPage: true });
      assert.deepEqual(requests, [], 'nothing is fetched');

      await page.goto(`file://${execPage}`);
      await page.waitForFunction(() => document.getElementById('verdict')!.className !== '', undefined, { timeout: 15000 });
      assert.match(await page.textContent('#verdict') ?? '', /^VALID/);
      assert.match(await page.textContent('#execs') ?? '', /exec-out-42/);

      // The sftp session: both transfers with the file's sha256, as the target got and gave it.
      await page.goto(`file://${sftpPage}`);
      await page.waitForFunction(() => document.getElementById('verdict')!.className !== '', undefined, { timeout: 15000 });
      assert.match(await page.textContent('#verdict') ?? '', /^VALID/);
      const rows = await page.$$eval('#files tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      const moved = rows.filter((r) => r[3] === uploadSha);
      assert.deepEqual(moved.map((r) => [r[0], r[2], r[4]]).sort(), [['read', '300000', 'success'], ['write', '300000', 'success']], JSON.stringify(rows));
      assert.ok(moved.every((r) => /evidence-upload\.bin$/.test(r[1]!)), JSON.stringify(moved));
      await page.screenshot({ path: process.env.FUMIDAI_SCREENSHOT?.replace(/(\.png)?$/, '-sftp.png') || join(bastion.dir, 'evidence-sftp.png'), fullPage: true });

      for (const [file, part] of [
        [tampered(shellPage, 'rec.html', '-shell.cast","base64":"', 300), /recording \d+-shell\.cast does not match its sealed sha256/],
        [tampered(execPage, 'event.html', '\\"command\\":\\"echo exec-out', 20), /event seq \d+ \(ChannelOpen\) does not verify/],
        [tampered(sftpPage, 'file.html', `\\"sha256\\":\\"${uploadSha}`, 30), /event seq \d+ \(FileTransfer\) does not verify/],
      ] as const) {
        await page.goto(`file://${file}`);
        await page.waitForFunction(() => document.getElementById('verdict')!.className !== '', undefined, { timeout: 15000 });
        const verdict = await page.textContent('#verdict') ?? '';
        assert.match(verdict, /^DOES NOT VERIFY: /);
        assert.match(verdict, part);
      }
    } finally {
      await browser.close();
    }
  });
});
