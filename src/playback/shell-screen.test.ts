import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellScreen, withoutPrompt } from './shell-screen.js';

const out = (s: ShellScreen, text: string) => s.output(Buffer.from(text));

test('shell screen: the line at Enter as drawn, without the prompt taken at its first key', async () => {
  const s = new ShellScreen(20, 5);
  out(s, 'motd\r\nuser@h:~$ ');
  s.lineStarts();
  out(s, 'cu""rl x');
  assert.equal(await s.line(), 'cu""rl x');
  // History recall: readline goes back to the prompt's end, clears and draws the old line.
  out(s, '\r\nout\r\nuser@h:~$ ');
  s.lineStarts();
  out(s, '\r\x1b[10C\x1b[Kecho a long line that wraps past twenty columns');
  assert.equal(await s.line(), 'echo a long line that wraps past twenty columns');
  s.dispose();
});

test('shell screen: a line that no longer starts with its prompt is taken whole; an empty line is empty', () => {
  assert.equal(withoutPrompt('$ ls', '$ '), 'ls');
  assert.equal(withoutPrompt('$', '$ '), '');
  assert.equal(withoutPrompt('other$ ls', '$ '), 'other$ ls');
  assert.equal(withoutPrompt('^[[Auser@h:~$ c\\url x', '', ['user@h:~$ ']), 'c\\url x'); // an up arrow typed ahead of the prompt
  assert.equal(withoutPrompt("(reverse-i-search)`cu': c\\url x", '$ '), 'c\\url x');
});
