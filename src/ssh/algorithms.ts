// The algorithms fumidai offers, where ssh2's defaults are wrong for a bastion. Pure lists.
import type ssh2 from 'ssh2';

/**
 * Key exchanges ssh2's server can complete: its default list less diffie-hellman-group-exchange-sha256, which it
 * advertises but cannot serve (a client that picks it is disconnected mid-exchange). Each one here completes with OpenSSH.
 */
export const SERVER_KEX: ssh2.KexAlgorithm[] = [
  'curve25519-sha256',
  'curve25519-sha256@libssh.org',
  'ecdh-sha2-nistp256',
  'ecdh-sha2-nistp384',
  'ecdh-sha2-nistp521',
  'diffie-hellman-group14-sha256',
  'diffie-hellman-group16-sha512',
  'diffie-hellman-group18-sha512',
];

/**
 * No plain `zlib`, both ways: it inflates before authentication, and ssh2 inflates without a bound, so a peer that
 * has not logged in (a client, or a target not yet verified) could send a decompression bomb. `zlib@openssh.com`
 * starts only after authentication, which is what OpenSSH's `ssh -C` asks for.
 */
export const COMPRESSION: ssh2.CompressionAlgorithm[] = ['none', 'zlib@openssh.com'];

/** Target host key algorithms: SHA-1 signed `ssh-rsa` only for a target an admin allowed it for. */
export function upstreamHostKeyAlgorithms(allowSha1: boolean): ssh2.ServerHostKeyAlgorithm[] {
  const strong: ssh2.ServerHostKeyAlgorithm[] = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'];
  return allowSha1 ? [...strong, 'ssh-rsa'] : strong;
}
