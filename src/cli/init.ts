import type { Command } from 'commander';
import { dataDirFrom, initDataDir, openDataDir } from '../config/data-dir.js';
import { storeOf } from './common.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a data directory: host key, upstream key, commented config, SQLite store')
    .option('--data <dir>', 'data directory (default: $FUMIDAI_DATA, else ./fumidai-data)')
    .action(async (opts: { data?: string }) => {
      const { dir, created } = initDataDir(dataDirFrom(opts.data));
      await (await storeOf(openDataDir(dir))).close(); // creates (or migrates) the store the config names
      console.log(created.length ? `initialized ${dir}: created ${created.join(', ')}` : `${dir} is already initialized`);
    });
}
