// `fumidai requests list|approve|deny`: the bastion admin decides just-in-time access requests on behalf of an
// approver named with --as (an SSH user in an approvers group of the request's rule, never the requester). The
// decision is written to the node's admin chain with the approver as `user` and the OS account as `operator`.
import type { Command } from 'commander';
import { fail } from '../errors.js';
import { operator, recordAdminEvent } from '../audit/open.js';
import { RequestDesk, type Decider } from '../auth/access-requests.js';
import { parseId } from '../auth/request-args.js';
import { PolicySource } from '../policy/source.js';
import type { DataDir } from '../config/data-dir.js';
import type { Store } from '../store/store.js';
import { withStore } from './common.js';

function deskOf(store: Store, dir: DataDir): RequestDesk {
  return new RequestDesk({
    store,
    policy: new PolicySource(store),
    pendingSec: () => dir.config.requests.pendingFor,
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
  if (id === undefined) throw fail('ARGUMENT_INVALID', `a request id is a number, not '${text}'`);
  return id;
}

async function decider(store: Store, name: string | undefined): Promise<Decider> {
  if (!name) throw fail('ARGUMENT_INVALID', '--as NAME is required: the approver (an SSH user in an approvers group) this decision is made for');
  if (!(await store.getUser(name))) throw fail('USER_UNKNOWN', name);
  return { name, via: 'cli', ctx: {} };
}

export function registerRequests(program: Command): void {
  const requests = program.command('requests').description('just-in-time access requests: list, approve, deny');
  requests
    .command('list')
    .description('access requests, newest first')
    .option('--user <user>', "only this user's")
    .option('--data <dir>', 'data directory')
    .action(async (opts: { user?: string; data?: string }) => {
      console.log(await withStore(opts, (store, dir) => deskOf(store, dir).list(opts.user)));
    });
  requests
    .command('approve <id>')
    .description('approve a pending request as --as NAME (in an approvers group of its rule; never the requester)')
    .option('--as <name>', 'the approver this decision is made for')
    .option('--data <dir>', 'data directory')
    .action(async (id: string, opts: { as?: string; data?: string }) => {
      console.log(await withStore(opts, async (store, dir) => deskOf(store, dir).approve(idOf(id), await decider(store, opts.as))));
    });
  requests
    .command('deny <id>')
    .description('deny a pending request as --as NAME, with --reason')
    .option('--as <name>', 'the approver this decision is made for')
    .option('--reason <why>', 'why (shown to the requester, in the audit trail)')
    .option('--data <dir>', 'data directory')
    .action(async (id: string, opts: { as?: string; reason?: string; data?: string }) => {
      const reason = opts.reason?.trim();
      if (!reason) throw fail('ARGUMENT_INVALID', '--reason is required');
      console.log(await withStore(opts, async (store, dir) => deskOf(store, dir).deny(idOf(id), await decider(store, opts.as), reason)));
    });
}
