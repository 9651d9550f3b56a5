// The SSH server settings shared by the front door and every ProxyJump inner server.
import type ssh2 from 'ssh2';
import type { GatewayDeps } from './context.js';
import { COMPRESSION, SERVER_KEX } from '../ssh/algorithms.js';
import { HYBRID_KEX } from '../ssh/hybrid-kex.js';
import type { HostKeyEntries } from '../identity/host-ca.js';

/** What the front door and every ProxyJump inner server present: host keys, identity and algorithms. */
export function serverConfig(deps: Pick<GatewayDeps, 'hostKeys' | 'config'>, hostKeys: HostKeyEntries = deps.hostKeys): ssh2.ServerConfig {
  return {
    // With host certificates on: the plain keys and the certificates of the name the client connects to.
    hostKeys,
    ident: 'fumidai',
    // The post-quantum hybrid first (where the ssh2 patch is in), then the classic exchanges ssh2 can complete.
    algorithms: {
      cipher: deps.config.ssh.ciphers as ssh2.CipherAlgorithm[],
      hmac: deps.config.ssh.macs,
      kex: [...HYBRID_KEX, ...SERVER_KEX] as ssh2.KexAlgorithm[],
      compress: COMPRESSION,
    },
  };
}
