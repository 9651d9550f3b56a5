import type { Command } from 'commander';
import { printTable, withStore } from './common.js';

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('the session index');
  sessions
    .command('list')
    .description('list sessions')
    .option('--data <dir>', 'data directory')
    .option('--live', 'only live sessions')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { data?: string; live?: boolean; json?: boolean }) => {
      await withStore(opts, async (store) => {
        const list = (await store.listSessions()).filter((s) => !opts.live || s.state === 'live');
        if (opts.json) return list.forEach((s) => console.log(JSON.stringify(s)));
        printTable(
          ['AUDIT KEY', 'USER', 'FROM', 'TARGET', 'LOGIN', 'START', 'END', 'EXIT', 'STATE'],
          list.map((s) => [s.auditKey, s.user, `${s.sourceIp}:${s.sourcePort}`, s.target ?? '', s.login ?? '', s.startedAt, s.endedAt ?? '', s.exitStatus?.toString() ?? '', s.state]),
        );
      });
    });
}
