// The host keys `serve` presents. A listed key whose file is missing is skipped with a warning, not made: host keys
// are the bastion's identity, and nodes behind one load balancer must present the same ones (`init --join` copies
// them), so only `init` makes a key. A data directory from before the ECDSA key had its own config listing ed25519
// alone; one that relies on the default list gets the warning until `fumidai init` creates the key.
import { existsSync } from 'node:fs';
import ssh2 from 'ssh2';
import { fingerprintOf } from '../identity/public-key.js';
import type { Logger } from 'pino';
import type { DataDir } from '../config/data-dir.js';
import { fail } from '../errors.js';
import { logEvent } from '../audit/log-events.js';
import type { AuditTrail } from '../audit/trail.js';
import { ensureHostCaKey, loadHostCa } from '../identity/host-ca.js';
import { HostCertificates } from '../identity/host-certs.js';
import { hostCertsSupported } from '../ssh/host-cert-key.js';

export function loadHostKeys(dir: DataDir, log: Logger): Buffer[] {
  const present = dir.config.hostKeys.filter((file) => existsSync(dir.path(file)));
  for (const file of dir.config.hostKeys.filter((f) => !present.includes(f))) {
    logEvent(log, 'warn', 'HostKeyMissing', { file: dir.path(file) }, `host key ${dir.path(file)} is listed in hostKeys but missing: served without it; 'fumidai init' creates it (copy it to every node)`);
  }
  if (present.length === 0) throw fail('HOST_KEY_MISSING', dir.config.hostKeys.map((f) => dir.path(f)).join(', '));
  const keys = present.map((file) => dir.readKey(file));
  // What clients will be asked to trust, to compare with `ssh-keygen -lf` and with what a first `ssh` shows.
  for (const key of keys) {
    const parsed = ssh2.utils.parseKey(key);
    const k = Array.isArray(parsed) ? parsed[0] : parsed;
    if (k && !(k instanceof Error)) log.info({ hostKey: fingerprintOf(k.getPublicSSH()), type: k.type }, `host key: ${fingerprintOf(k.getPublicSSH())} (${k.type})`);
  }
  return keys;
}

/**
 * With certs.hostCertificates on: the host CA (made here for a data directory older than it) and the certificates
 * signed from it, each signing an audit event. Undefined, with a warning, when ssh2 could not be changed to present them.
 */
export function startHostCertificates(dir: DataDir, hostKeys: Buffer[], audit: AuditTrail, log: Logger): HostCertificates | undefined {
  if (!hostCertsSupported()) {
    log.warn('ssh2 was loaded before host certificates could be added (or is not the version fumidai changes): only plain host keys are presented');
    return undefined;
  }
  const file = dir.path(dir.config.certs.hostCaKey);
  if (ensureHostCaKey(file)) log.info({ file }, "created the host CA key; 'fumidai certs host-ca' prints its @cert-authority line");
  const ca = loadHostCa(file);
  log.info({ hostCa: ca.fingerprint, hostNames: dir.config.certs.hostNames }, `host certificates on, host CA ${ca.fingerprint}`);
  return new HostCertificates({
    ca,
    hostKeys,
    bastionNames: dir.config.certs.hostNames,
    validitySec: () => dir.config.certs.hostValidity,
    onSigned: (s) => void audit.record('HostCertificateSigned', {}, s).catch(() => undefined),
    onError: (err) => log.error({ err: err.message }, 'signing a host certificate failed: plain host keys only for this name'),
  });
}
