// Opens the second hop: an SSH connection from fumidai to a target, authenticated with fumidai's own key or the
// user's forwarded agent (never a user private key), with the target's host key pinned on first use.
import ssh2, { type Client, type BaseAgent } from 'ssh2';
import { fail, FumidaiError } from '../errors.js';
import type { TargetRecord } from '../store/store.js';
import { checkHostKey } from './host-key.js';
import { tuneSocket } from '../ssh/glue.js';
import { COMPRESSION, upstreamHostKeyAlgorithms } from '../ssh/algorithms.js';
import { KEX_ALGORITHMS } from '../ssh/hybrid-kex.js';
import { certificateKey } from '../ssh/cert-auth.js';

export interface UpstreamOptions {
  target: TargetRecord;
  login: string;
  privateKey: Buffer;
  /** The user's forwarded agent, tried before fumidai's key. */
  agent?: BaseAgent;
  /** A certificate of fumidai's key for this session (targets set with --cert-login): presented instead of the key. */
  certificate?: Buffer;
  connectTimeoutSec: number;
  keepaliveIntervalSec: number;
  /** Called once with a first-seen host key, after the connection is fully authenticated. */
  pin(blobBase64: string, fingerprint: string): Promise<void>;
}

export interface Upstream {
  client: Client;
  hostKeyFingerprint: string;
  /** What logged in: the user's forwarded agent, or fumidai's own upstream key. */
  credential: 'forwarded agent' | 'fumidai key' | 'fumidai certificate';
}

export function connectUpstream(opts: UpstreamOptions): Promise<Upstream> {
  const { target, login } = opts;
  const addr = `${target.host}:${target.port}`;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let verdictError: FumidaiError | undefined;
    let toPin: { blob: string; fingerprint: string } | undefined;
    let hostKeyFingerprint = target.hostKeyFingerprint ?? '';
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) {
        client.end();
        reject(err);
      } else resolve({ client, hostKeyFingerprint, credential: tried.at(-1) === 'agent' ? 'forwarded agent' : opts.certificate ? 'fumidai certificate' : 'fumidai key' });
    };

    client.on('ready', () => {
      tuneSocket(client);
      if (!toPin) return settle();
      opts.pin(toPin.blob, toPin.fingerprint).then(() => settle(), settle);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return; // later errors end the connection; the relay sees 'close'
      settle(verdictError ?? mapError(err, target.name, addr, login, opts));
    });
    client.on('close', () => settle(fail('UPSTREAM_LOST', target.name)));

    // In order, remembering the last one tried: on 'ready', that is the one the target accepted.
    const methods = opts.agent ? ['agent', 'publickey'] : ['publickey'];
    const tried: string[] = [];
    let certKey: ssh2.ParsedKey | undefined;
    try {
      certKey = opts.certificate && certificateKey(opts.privateKey, opts.certificate);
    } catch (err) {
      return reject(fail('UPSTREAM_AUTH_FAILED', target.name, login, `a certificate (${(err as Error).message})`));
    }
    client.connect({
      host: target.host,
      port: target.port,
      username: login,
      privateKey: opts.privateKey,
      agent: opts.agent,
      authHandler: (() => {
        const next = methods[tried.length];
        if (!next) return false;
        tried.push(next);
        return next === 'publickey' && certKey ? { type: 'publickey', username: login, key: certKey } : next;
      }) as never,
      readyTimeout: opts.connectTimeoutSec * 1000,
      keepaliveInterval: opts.keepaliveIntervalSec * 1000,
      keepaliveCountMax: 3,
      // The post-quantum hybrid first; SHA-1 host keys only where allowed; no plain zlib.
      algorithms: { kex: KEX_ALGORITHMS as ssh2.KexAlgorithm[], serverHostKey: upstreamHostKeyAlgorithms(target.allowSha1HostKey === true), compress: COMPRESSION },
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey(target.hostKey, target.hostKeyFingerprint, key);
        if (verdict.kind === 'mismatch') {
          verdictError = fail('UPSTREAM_HOSTKEY_MISMATCH', target.name, verdict.pinned, verdict.offered);
          return false;
        }
        if (verdict.kind === 'unknown') {
          toPin = { blob: verdict.blob.toString('base64'), fingerprint: verdict.fingerprint };
          hostKeyFingerprint = verdict.fingerprint;
        }
        return true;
      },
    });
    // ssh2 does not set TCP_NODELAY itself; keystrokes must not wait for Nagle.
    client.on('handshake', () => (client as unknown as { setNoDelay(b: boolean): void }).setNoDelay(true));
  });
}

function mapError(err: Error & { level?: string; code?: string }, name: string, addr: string, login: string, opts: UpstreamOptions): FumidaiError {
  if (err.code === 'ECONNREFUSED') return fail('UPSTREAM_REFUSED', name, addr);
  if (err.level === 'handshake' && /host key/i.test(err.message)) return fail('UPSTREAM_HOSTKEY_WEAK', name, addr);
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT')
    return fail('UPSTREAM_TIMEOUT', name, addr, opts.connectTimeoutSec);
  if (err.level === 'client-authentication')
    return fail('UPSTREAM_AUTH_FAILED', name, login, `${opts.agent ? 'your forwarded agent or ' : ''}fumidai's ${opts.certificate ? 'certificate (does the target trust its user CA in TrustedUserCAKeys?)' : 'key'}`);
  return fail('UPSTREAM_UNREACHABLE', name, addr, err.code ?? err.message);
}
