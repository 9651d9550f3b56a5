// One rule for user, target and group names, so every command and the key sync agree.
import { fail } from '../errors.js';

const NAME = /^[a-z][-a-z0-9_.]{0,63}$/;

export function checkName(kind: 'user' | 'target' | 'group' | 'web account' | 'token', name: string): string {
  if (!NAME.test(name)) throw fail('NAME_INVALID', kind, name);
  return name;
}

/** Unix-style login names on targets: a little wider (uppercase and digits first are seen in the wild). */
const LOGIN = /^[A-Za-z0-9_][-A-Za-z0-9_.]{0,63}$/;
export function isValidLogin(login: string): boolean {
  return LOGIN.test(login);
}
