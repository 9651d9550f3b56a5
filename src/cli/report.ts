import type { Command } from 'commander';
import { dataDirFrom, openDataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { accessReport, renderReport } from '../audit/access-report.js';
import { isoOption } from './common.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('access report for an assessor: who reached what, when, from where; denials, MFA, idle disconnects')
    .requiredOption('--since <iso>', 'start of the period')
    .requiredOption('--until <iso>', 'end of the period')
    .option('--format <format>', 'md or html', 'md')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { since: string; until: string; format: string; data?: string }) => {
      if (opts.format !== 'md' && opts.format !== 'html') throw fail('ARGUMENT_INVALID', `--format must be md or html, not '${opts.format}'`);
      const since = isoOption(opts.since, '--since')!;
      const until = isoOption(opts.until, '--until')!;
      const dir = openDataDir(dataDirFrom(opts.data));
      console.log(renderReport(await accessReport(dir, since, until), opts.format));
    });
}
