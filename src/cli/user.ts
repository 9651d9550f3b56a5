import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { fail } from '../errors.js';
import { checkName } from '../identity/names.js';
import { parsePublicKey, type PublicKey } from '../identity/public-key.js';
import { adminChange, printTable, withStore } from './common.js';
import type { Store } from '../store/store.js';

const collect = (value: string, previous: string[]) => [...previous, value];

/** A key identifies one user: every key is checked before anything is stored (all or nothing). */
async function assertKeysFree(store: Store, keys: PublicKey[]): Promise<void> {
  for (const k of keys) {
    const owner = await store.findKey(k.fingerprint);
    if (owner) throw fail('KEY_IN_USE', k.fingerprint, owner.user);
  }
}

async function addKeys(store: Store, user: string, keys: PublicKey[]): Promise<void> {
  for (const k of keys) await store.addKey({ user, fingerprint: k.fingerprint, type: k.type, blob: k.blob, comment: k.comment });
}

function readKeyFile(file: string): PublicKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail('KEY_INVALID', file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parsePublicKey(text, file);
}

export function registerUser(program: Command): void {
  const user = program.command('user').description('manage users (people who log in through fumidai)');
  user
    .command('add <name>')
    .description('add a user with one or more public keys')
    .requiredOption('--key <file>', 'public key file (repeat for more keys)', collect, [])
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { key: string[]; data?: string }) => {
      checkName('user', name);
      // Parse every key before touching the store: a bad key adds nothing.
      const keys = opts.key.map(readKeyFile);
      await withStore(opts, async (store, dir) => {
        if (await store.getUser(name)) throw fail('USER_EXISTS', name);
        await assertKeysFree(store, keys);
        await adminChange(dir, `user add ${name}`, { keys: keys.map((k) => k.fingerprint) }, async () => {
          await store.addUser(name);
          await addKeys(store, name, keys);
        });
      });
      console.log(`added user ${name} with ${keys.length} key(s): ${keys.map((k) => k.fingerprint).join(', ')}`);
    });
  user
    .command('add-key <name>')
    .description('add public keys to an existing user')
    .requiredOption('--key <file>', 'public key file (repeat for more keys)', collect, [])
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { key: string[]; data?: string }) => {
      const keys = opts.key.map(readKeyFile);
      await withStore(opts, async (store, dir) => {
        if (!(await store.getUser(name))) throw fail('USER_UNKNOWN', name);
        await assertKeysFree(store, keys);
        await adminChange(dir, `user add-key ${name}`, { keys: keys.map((k) => k.fingerprint) }, () => addKeys(store, name, keys));
      });
      console.log(`added ${keys.length} key(s) to ${name}`);
    });
  user
    .command('list')
    .description('list users and their keys')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { data?: string }) => {
      await withStore(opts, async (store) => {
        const rows: string[][] = [];
        for (const u of await store.listUsers()) {
          const keys = await store.keysOf(u.name);
          const grants = await store.grantsOf(u.name);
          rows.push([u.name, u.disabled ? 'disabled' : 'active', keys.map((k) => `${k.type} ${k.fingerprint}`).join(', '),
            grants.map((g) => `${g.login}@${g.target}`).join(', ')]);
        }
        printTable(['USER', 'STATE', 'KEYS', 'GRANTS'], rows);
      });
    });
  user
    .command('remove <name>')
    .description('remove a user, their keys and grants')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        if (!(await store.getUser(name))) throw fail('USER_UNKNOWN', name);
        await adminChange(dir, `user remove ${name}`, {}, async () => {
          if (!(await store.removeUser(name))) throw fail('USER_UNKNOWN', name);
        });
      });
      console.log(`removed user ${name}`);
    });
  user
    .command('remove-key <name> <fingerprint>')
    .description("remove one of a user's keys (SHA256:... as 'user list' shows it); its live sessions end")
    .option('--data <dir>', 'data directory')
    .action(async (name: string, fingerprint: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        const noKey = () => fail('ARGUMENT_INVALID', `user '${name}' has no key ${fingerprint}`);
        if (!(await store.keysOf(name)).some((k) => k.fingerprint === fingerprint)) throw noKey();
        await adminChange(dir, `user remove-key ${name}`, { key: fingerprint }, async () => {
          if (!(await store.removeKey(name, fingerprint))) throw noKey();
        });
      });
      console.log(`removed key ${fingerprint} of ${name}`);
    });
  for (const [verb, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(`${verb} <name>`)
      .description(disabled ? 'refuse a user from now on, keeping keys and grants; their live sessions end' : 'let a disabled user in again')
      .option('--data <dir>', 'data directory')
      .action(async (name: string, opts: { data?: string }) => {
        await withStore(opts, async (store, dir) => {
          if (!(await store.getUser(name))) throw fail('USER_UNKNOWN', name);
          await adminChange(dir, `user ${verb} ${name}`, {}, async () => {
            if (!(await store.setUserDisabled(name, disabled))) throw fail('USER_UNKNOWN', name);
          });
        });
        console.log(`${verb}d ${name}`);
      });
  }
  user
    .command('unlock <name>')
    .description('end a lockout after repeated authentication failures')
    .option('--data <dir>', 'data directory')
    .action(async (name: string, opts: { data?: string }) => {
      await withStore(opts, async (store, dir) => {
        if (!(await store.getUser(name))) throw fail('USER_UNKNOWN', name);
        await adminChange(dir, `user unlock ${name}`, {}, () => store.clearAuthFailures(name));
      });
      console.log(`unlocked ${name}`);
    });
}
