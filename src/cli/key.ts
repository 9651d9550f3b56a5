import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dataDirFrom, openDataDir } from '../config/data-dir.js';
import { parsePublicKey } from '../identity/public-key.js';
import { withStore } from './common.js';

export function registerKey(program: Command): void {
  const key = program.command('key').description("fumidai's own keys");
  key
    .command('show')
    .description("print the public key fumidai uses upstream (add it to targets' authorized_keys)")
    .option('--data <dir>', 'data directory')
    .action((opts: { data?: string }) => {
      const dir = openDataDir(dataDirFrom(opts.data));
      console.log(readFileSync(dir.path(`${dir.config.upstream.key}.pub`), 'utf8').trim());
    });
  program
    .command('known-hosts')
    .description("print known_hosts lines that let clients trust fumidai's host key for the bastion and every target")
    .option('--data <dir>', 'data directory')
    .option('--bastion <name>', 'name clients use for the bastion, e.g. bastion.example.com or [bastion]:2222')
    .action(async (opts: { data?: string; bastion?: string }) => {
      await withStore(opts, async (store, dir) => {
        const names = (await store.listTargets()).map((t) => t.name);
        if (opts.bastion) names.unshift(opts.bastion);
        for (const file of dir.config.hostKeys) {
          const pub = parsePublicKey(readFileSync(dir.path(`${file}.pub`), 'utf8'), `${file}.pub`);
          console.log(`${names.join(',') || '*'} ${pub.type} ${pub.blob.toString('base64')}`);
        }
      });
    });
}
