// Another node of the same bastion: its data directory starts from an existing node's (or a copy of it). It takes the
// config (store.url, shipping, policy of the process) and the keys every node must share: the host keys (clients
// behind the load balancer see one bastion), the upstream key (targets trust one key), the MFA key (the TOTP seeds
// in the shared store are sealed with it) and the audit signing key (auditors pin one fingerprint and verify every
// node's chain with one public key). Never the audit chain or recordings, and it never overwrites.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseDocument } from 'yaml';
import { CONFIG_FILE, openDataDir } from './data-dir.js';

/** Copies what is missing in `to`; returns the names copied. `node` names the new node in the audit trail. */
export function joinDataDir(from: string, to: string, node: string | undefined): string[] {
  const source = openDataDir(from);
  const { hostKeys, upstream, auth, audit, certs } = source.config;
  // The CAs too: a certificate one node issued must log in on every node, and every node's host certificates must
  // chain to the one host CA that clients trust.
  const keys = [...[...hostKeys, upstream.key, audit.keyFile, certs.userCaKey, certs.hostCaKey].flatMap((k) => [k, `${k}.pub`]), auth.mfaKeyFile];
  mkdirSync(to, { recursive: true, mode: 0o700 });
  const copied: string[] = [];
  if (!existsSync(join(to, CONFIG_FILE))) {
    writeFileSync(join(to, CONFIG_FILE), withNodeName(readFileSync(source.configFile, 'utf8'), node), { mode: 0o600, flag: 'wx' });
    copied.push(CONFIG_FILE);
  }
  for (const name of keys) {
    if (isAbsolute(name) || !existsSync(source.path(name)) || existsSync(join(to, name))) continue;
    copyFileSync(source.path(name), join(to, name)); // keeps the mode: private keys stay 0600
    copied.push(name);
  }
  return copied;
}

/** The config text with this node's own audit.node (or none: the host name), comments kept. */
export function withNodeName(text: string, node: string | undefined): string {
  const doc = parseDocument(text);
  if (node) doc.setIn(['audit', 'node'], node);
  else doc.deleteIn(['audit', 'node']);
  return doc.toString();
}
