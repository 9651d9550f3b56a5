import type { Command } from 'commander';
import { dataDirFrom, initDataDir } from '../config/data-dir.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { join } from 'node:path';
import { STORE_FILE } from '../config/data-dir.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a data directory: host key, upstream key, commented config, SQLite store')
    .option('--data <dir>', 'data directory (default: $FUMIDAI_DATA, else ./fumidai-data)')
    .action(async (opts: { data?: string }) => {
      const { dir, created } = initDataDir(dataDirFrom(opts.data));
      await new SqliteStore(join(dir, STORE_FILE)).close();
      console.log(created.length ? `initialized ${dir}: created ${created.join(', ')}` : `${dir} is already initialized`);
    });
}
