// What is typed at a prompt that does not echo (a password for `read -s`, a program that turned echo off) is recorded
// as its length only, through a real OpenSSH client in a pseudo-terminal and a real sshd target; what the target
// echoed is recorded as typed; the file still plays in asciinema.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, ROOT } from './helpers/fumidai.js';
import type { Target } from './helpers/sshd.js';
import { parseCast } from '../src/recording/asciicast.js';

const PTY = join(ROOT, 'test/helpers/pty_drive.py');

describe('input at prompts that do not echo', () => {
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

  test('a password typed at read -s and a line read with echo off are recorded as their length; echoed commands as typed', async () => {
    const script = JSON.stringify([
      { expect: '\\$ ' },
      // Each prompt is built at run time, so that the echo of the command line does not already match it.
      { type: 'p=Pass; read -s -p "${p}word: " pw; echo got-${#pw}\r' },
      { expect: 'Password: ' },
      { type: 'hunter2-secret\r' }, // key by key, as a person types it
      { expect: 'got-14' },
      { type: "stty -echo; printf '%s: ' Secret; read line; stty echo; echo; echo got-${#line}\r" },
      { expect: 'Secret: ' },
      { send: 'sudo-like-secret\r' }, // at once, as pasted
      { expect: 'got-16' },
      { type: 'echo visible-text\r' },
      { expect: '\rvisible-text' },
      { send: 'echo pasted-$((6*7))\r' },
      { expect: 'pasted-42' },
      { type: 'exit\r' },
    ]);
    const shown = execFileSync('python3', [PTY, '24', '100', script, '--', 'ssh', '-F', cfg, '-tt', 'web1']).toString();
    assert.ok(!shown.includes('hunter2-secret') && !shown.includes('sudo-like-secret'), 'the target did not echo them');
    const list = (await bastion.cli(['sessions', 'list', '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const key: string = list.at(-1).auditKey;
    const { channels } = JSON.parse((await bastion.cli(['sessions', 'show', key, '--json'])).stdout);
    const path: string = channels[0].recordingPath;
    const file = readFileSync(path, 'utf8');
    // Typed key by key, a secret would be one "i" event per key: the input is looked at joined, too.
    const typed = parseCast(file).events.filter((e) => e.type === 'i').map((e) => e.data).join('');
    for (const secret of ['hunter2', 'sudo-like']) assert.ok(!file.includes(secret) && !typed.includes(secret), `${secret} is not in the recording`);
    assert.ok(typed.includes('[input not echoed: 14 bytes]\r'), typed);
    assert.ok(typed.includes('[input not echoed: 16 bytes]\r'), typed);
    assert.ok(typed.includes('echo visible-text\r') && typed.includes('echo pasted-$((6*7))\r'), typed);
    assert.ok(typed.includes('p=Pass; read -s -p "${p}word: " pw; echo got-${#pw}\r'), typed);

    // Everything that reads the recording back: show, search (once indexed), the evidence page.
    const text = (await bastion.cli(['sessions', 'show', key])).stdout;
    assert.match(text, /\[input not echoed: 14 bytes\]/);
    assert.match(text, /echo visible-text/);
    assert.ok(!text.includes('hunter2') && !text.includes('sudo-like'));
    let hits = '';
    for (let i = 0; i < 20 && !hits.includes(key); i++) {
      hits = (await bastion.cli(['sessions', 'search', 'pasted-42'])).stdout;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(hits.includes(key), 'indexed');
    assert.ok(!(await bastion.cli(['sessions', 'search', 'hunter2'])).stdout.includes(key));
    // Typed lines are searched too, as in the console: the marker is in no screen, only in what was typed.
    const typedHits = (await bastion.cli(['sessions', 'search', 'input not echoed'])).stdout.split('\n').filter((l) => l.includes(key));
    assert.equal(typedHits.length, 2, typedHits.join('\n'));
    for (const l of typedHits) assert.match(l, /\styped\s.*input not echoed\]?: 1[46] bytes/ /* the store marks the match with [ ] */);
    assert.match(hits.split('\n').find((l) => l.includes(key) && /\sscreen\s/.test(l)) ?? '', /pasted-42/);
    const page = join(bastion.dir, 'evidence.html');
    await bastion.cli(['evidence', 'export', key, '-o', page]);
    const html = readFileSync(page, 'utf8');
    assert.ok(!html.includes('hunter2') && !html.includes('sudo-like'));
    assert.ok(html.includes(Buffer.from(file).toString('base64')), 'the page carries this recording (its typed lines are read from it)');

    // asciinema plays it: it needs a terminal, so it runs in a pty too.
    const played = execFileSync('python3', [PTY, '24', '100', '[]', '--', 'asciinema', 'cat', path]).toString();
    assert.match(played, /got-14/);
    assert.match(played, /pasted-42/);
  });
});
