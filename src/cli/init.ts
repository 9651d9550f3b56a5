import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { dataDirFrom, initDataDir, openDataDir, type DataDir } from '../config/data-dir.js';
import { joinDataDir } from '../config/join-node.js';
import { auditKeyFile, defaultNodeName, nodeName } from '../audit/open.js';
import { createAuditKey, keyFingerprint, loadAuditPublicKey } from '../audit/keys.js';
import { fail } from '../errors.js';
import { SeedBox } from '../mfa/seed-box.js';
import { storeOf } from './common.js';
import { tightenModes } from '../config/file-modes.js';
import { describeFix, privateRoots } from './private-data.js';
import { ensureSelfSigned, readCertFingerprint } from '../web/cert.js';
import { ensureUserCaKey } from '../identity/user-ca.js';
import { ensureHostCaKey } from '../identity/host-ca.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('create a data directory: host, upstream, MFA and audit signing keys, commented config, and the store')
    .option('--data <dir>', 'data directory (default: $FUMIDAI_DATA, else ./fumidai-data)')
    .option('--join <dir>', "another node's data directory (or a copy): take its config and the keys every node shares")
    .option('--node <name>', "with --join: this node's name in the audit trail (default: the host name)")
    .action(async (opts: { data?: string; join?: string; node?: string }) => {
      const target = dataDirFrom(opts.data);
      if (opts.node && !opts.join) throw fail('ARGUMENT_INVALID', '--node names a joining node: use it with --join DIR');
      if (opts.join) {
        // Two nodes with one name would share an audit chain and interrupt each other's sessions at restart.
        const joined = nodeName(openDataDir(dataDirFrom(opts.join)));
        if ((opts.node ?? defaultNodeName()) === joined) throw fail('ARGUMENT_INVALID', `the node joined is named '${joined}' already: give this one --node NAME`);
      }
      const copied = opts.join ? joinDataDir(dataDirFrom(opts.join), target, opts.node) : [];
      const { dir, created } = initDataDir(target);
      const data = openDataDir(dir);
      // The MFA key now, not at first use: a node set up later must copy this very key, not make its own.
      const mfaKey = data.path(data.config.auth.mfaKeyFile);
      if (!existsSync(mfaKey)) created.push(data.config.auth.mfaKeyFile);
      SeedBox.fromFile(mfaKey);
      // A joining node signs with the key of the node it joins: one it made itself would not match the auditors' fingerprint.
      const audit = initAuditKey(data, !opts.join);
      // A joining node copies the CA key with the other shared keys (join-node.ts) or makes its own here.
      if (ensureUserCaKey(data.path(data.config.certs.userCaKey))) created.push(data.config.certs.userCaKey);
      if (ensureHostCaKey(data.path(data.config.certs.hostCaKey))) created.push(data.config.certs.hostCaKey);
      if (audit.created) created.push(data.config.audit.keyFile);
      await (await storeOf(data)).close(); // creates (or migrates) the store the config names
      for (const f of tightenModes(privateRoots(data))) console.log(`tightened: ${describeFix(f)}`);
      const what = [copied.length ? `copied ${copied.join(', ')} from ${opts.join}` : '', created.length ? `created ${created.join(', ')}` : ''].filter(Boolean);
      console.log(what.length ? `initialized ${dir}: ${what.join('; ')}` : `${dir} is already initialized`);
      console.log(audit.line);
      const web = data.config.web;
      if (web.listen) {
        if (ensureSelfSigned(data.path(web.cert), data.path(web.key))) console.log(`created ${web.cert}, ${web.key} (self-signed)`);
        console.log(`web console certificate: SHA-256 ${readCertFingerprint(data.path(web.cert))}  (compare it with what the browser shows)`);
      }
    });
}

/**
 * The audit signing key: created here when missing and `mayCreate` (init is the only place that makes one; `serve` and
 * the other commands refuse to run without it). The line to print says its fingerprint, or what is missing.
 */
export function initAuditKey(data: DataDir, mayCreate: boolean): { created: boolean; line: string } {
  const file = auditKeyFile(data);
  const present = existsSync(file);
  if (!present && !mayCreate) return { created: false, line: `audit signing key ${file} is missing: copy the joined node's key there before 'fumidai serve' (every node signs with the same key)` };
  const key = present ? loadAuditPublicKey(file) : createAuditKey(file).publicKey;
  return { created: !present, line: `audit signing key: ${keyFingerprint(key)}  (give this to your auditors: audit verify --fingerprint checks the trail against it)` };
}
