// The SSH server settings shared by the front door and every ProxyJump inner server.
import type ssh2 from 'ssh2';
import type { GatewayDeps } from './context.js';

/** What the front door and every ProxyJump inner server present: host keys, identity and ciphers. */
export function serverConfig(deps: Pick<GatewayDeps, 'hostKeys' | 'config'>): ssh2.ServerConfig {
  return { hostKeys: deps.hostKeys, ident: 'fumidai', algorithms: { cipher: deps.config.ssh.ciphers as ssh2.CipherAlgorithm[], hmac: deps.config.ssh.macs } };
}
