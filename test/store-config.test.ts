// Choosing the store: store.url or $FUMIDAI_STORE_URL for PostgreSQL; a bad URL or an unreachable server is one line
// naming the URL without its password, for every command, serve included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bastion, BIN } from './helpers/fumidai.js';
import { freePort, run } from './helpers/proc.js';

describe('store config', () => {
  const b = new Bastion();
  before(() => b.init());
  after(() => b.stop());

  const oneLine = async (args: string[], env: Record<string, string>, line: RegExp) => {
    const r = await run(process.execPath, [BIN, ...args, '--data', b.data], { env: { ...process.env, ...env } });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, line);
    return lines[0]!;
  };

  test('an unreachable PostgreSQL is STORE_UNAVAILABLE, for the CLI and serve, and the password is not shown', async () => {
    const port = await freePort();
    const env = { FUMIDAI_STORE_URL: `postgres://fumidai:hunter2@127.0.0.1:${port}/fumidai` };
    const expected = new RegExp(`^fumidai: cannot use the store postgres://fumidai:\\*\\*\\*@127\\.0\\.0\\.1:${port}/fumidai: ECONNREFUSED .* \\(STORE_UNAVAILABLE\\)$`);
    for (const args of [['user', 'list'], ['serve', '--listen', '127.0.0.1:0']]) {
      const line = await oneLine(args, env, expected);
      assert.doesNotMatch(line, /hunter2/);
    }
    await oneLine(['user', 'list'], { FUMIDAI_STORE_URL: 'mysql://db/x' }, /expected postgres:\/\/USER@HOST:PORT\/DATABASE \(STORE_UNAVAILABLE\)$/);
  });

  test('store.url in the config file is checked like every field, and read by every command', async () => {
    const file = join(b.data, 'fumidai.yaml');
    const original = readFileSync(file, 'utf8');
    assert.match(original, /^ {2}# url: postgres:\/\//m, 'the template documents it');
    try {
      writeFileSync(file, original.replace(/^ {2}# url: .*$/m, '  url: mysql://db/x'));
      await oneLine(['user', 'list'], {}, /field store\.url: a postgres:\/\/USER@HOST:PORT\/DATABASE URL \(CONFIG_INVALID\)$/);
      const port = await freePort();
      writeFileSync(file, original.replace(/^ {2}# url: .*$/m, `  url: postgres://fumidai@127.0.0.1:${port}/fumidai`));
      await oneLine(['target', 'list'], {}, /ECONNREFUSED .* \(STORE_UNAVAILABLE\)$/);
    } finally {
      writeFileSync(file, original);
    }
    assert.equal((await b.cli(['user', 'list'])).code, 0, 'without a url: SQLite in the data directory');
  });
});
