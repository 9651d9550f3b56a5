// `fumidai holds list|allow|refuse`: the bastion admin decides shell lines held by a `hold` rule on behalf of an
// approver named with --as (a user in an approvers group of the rule, never the one who typed the line). The
// decision goes to the node's admin chain with the approver as `user` and the OS account as `operator`; the holding
// node, whichever it is, reads it from the store within a poll.
import type { Command } from 'commander';
import { fail } from '../errors.js';
import { operator, recordAdminEvent } from '../audit/open.js';
import { HoldDesk } from '../auth/line-holds.js';
import type { Decider } from '../auth/access-requests.js';
import { parseId } from '../auth/request-args.js';
import { PolicySource } from '../policy/source.js';
import type { DataDir } from '../config/data-dir.js';
import type { Store } from '../store/store.js';
import { withStore } from './common.js';

function deskOf(store: Store, dir: DataDir): HoldDesk {
  return new HoldDesk({
    store,
    policy: new PolicySource(store),
    audit: {
      record: async (eventName, ctx, fields) => {
        const { reason, result, ...details } = fields as { reason?: string; result?: 'success' | 'failure' };
        await recordAdminEvent(dir, { eventName, ...ctx, ...(reason ? { reason } : {}), ...(result ? { result } : {}), details: { ...details, operator: operator() } });
      },
    },
  });
}

function idOf(text: string): number {
  const id = parseId(text);
  if (id === undefined) throw fail('ARGUMENT_INVALID', `a held line's id is a number, not '${text}'`);
  return id;
}

async function decider(store: Store, name: string | undefined): Promise<Decider> {
  if (!name) throw fail('ARGUMENT_INVALID', '--as NAME is required: the approver (a user in an approvers group of the rule) this decision is made for');
  if (!(await store.getUser(name))) throw fail('USER_UNKNOWN', name);
  return { name, via: 'cli', ctx: {} };
}

export function registerHolds(program: Command): void {
  const holds = program.command('holds').description('shell lines held for an approver by a hold rule: list, allow, refuse');
  holds
    .command('list')
    .description('held lines still waiting, oldest first')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      console.log(await withStore(opts, (store, dir) => deskOf(store, dir).list()));
    });
  holds
    .command('allow <id>')
    .description("let a held line run, as --as NAME (in an approvers group of its rule; never the line's user)")
    .option('--as <name>', 'the approver this decision is made for')
    .option('--data <dir>', 'data directory')
    .action(async (id: string, opts: { as?: string; data?: string }) => {
      console.log(await withStore(opts, async (store, dir) => deskOf(store, dir).allow(idOf(id), await decider(store, opts.as))));
    });
  holds
    .command('refuse <id>')
    .description('cancel a held line, as --as NAME, with --reason (shown to the user)')
    .option('--as <name>', 'the approver this decision is made for')
    .option('--reason <why>', 'why (shown to the user, in the audit trail)', 'refused by an approver')
    .option('--data <dir>', 'data directory')
    .action(async (id: string, opts: { as?: string; reason: string; data?: string }) => {
      console.log(await withStore(opts, async (store, dir) => deskOf(store, dir).refuse(idOf(id), await decider(store, opts.as), opts.reason.trim() || 'refused by an approver')));
    });
}
