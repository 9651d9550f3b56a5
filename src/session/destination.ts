// Where a client wants to go, read from the SSH user name. Pure.
//   alice            (the user's own name, or empty)  -> no target: menu, or a ProxyJump carrier
//   web1             -> target web1, its default login
//   ec2-user@web1    -> target web1 as ec2-user
// The user is identified by their key, so the name field is free to carry the destination.

export type Destination = { kind: 'none' } | { kind: 'target'; target: string; login?: string };

export function parseDestination(sshUser: string, userName: string): Destination {
  if (sshUser === '' || sshUser === userName) return { kind: 'none' };
  const at = sshUser.lastIndexOf('@');
  if (at === -1) return { kind: 'target', target: sshUser };
  const login = sshUser.slice(0, at);
  const target = sshUser.slice(at + 1);
  return login ? { kind: 'target', target, login } : { kind: 'target', target };
}
