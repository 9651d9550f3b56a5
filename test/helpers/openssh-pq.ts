// OpenSSH 10 beside the system's OpenSSH 9.2: Debian's bookworm-backports packages, unpacked (not installed) by .ci/run
// into /opt/openssh-pq. It is the one implementation of mlkem768x25519-sha256 on this machine apart from fumidai's
// (OpenSSH has it from 9.9; Debian 12's own OpenSSH, libssh, PuTTY and AsyncSSH do not).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const OPENSSH_PQ_DIR = process.env.FUMIDAI_OPENSSH_PQ ?? '/opt/openssh-pq';

export interface OpensshPq {
  /** The directory of its ssh, to put first in PATH: ProxyJump runs `ssh -W` found through PATH. */
  bin: string;
  ssh: string;
  sshd: string;
  /** What its sshd needs in a config to find its helpers outside /usr/lib/openssh. */
  sshdConfig: string[];
  version: string;
}

export function opensshPq(): OpensshPq | undefined {
  const bin = join(OPENSSH_PQ_DIR, 'usr/bin');
  const libexec = join(OPENSSH_PQ_DIR, 'usr/lib/openssh');
  const ssh = join(bin, 'ssh');
  const sshd = join(OPENSSH_PQ_DIR, 'usr/sbin/sshd');
  if (!existsSync(ssh) || !existsSync(sshd)) return undefined;
  const kex = execFileSync(ssh, ['-Q', 'kex'], { encoding: 'utf8' });
  if (!kex.split('\n').includes('mlkem768x25519-sha256')) return undefined;
  return {
    bin,
    ssh,
    sshd,
    sshdConfig: [`SshdSessionPath ${join(libexec, 'sshd-session')}`, `SshdAuthPath ${join(libexec, 'sshd-auth')}`],
    version: spawnSync(ssh, ['-V'], { encoding: 'utf8' }).stderr.trim(), // ssh -V writes to stderr
  };
}

/** A reason to skip a test that needs it, or false. Under CI it is never skipped: its absence fails the test. */
export function opensshPqSkip(): string | false {
  if (process.env.CI || opensshPq()) return false;
  return `no OpenSSH with mlkem768x25519-sha256 in ${OPENSSH_PQ_DIR} (.ci/run unpacks one there)`;
}
