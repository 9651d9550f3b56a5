// The upstream side of one session: opened once, on the first channel that is allowed (and shared by the connection's
// later channels, as ControlMaster multiplexing expects). Opening it indexes the session and leaves SessionStart (or
// refuses, if that event cannot be written), then connects with fumidai's key, or first with the client's forwarded
// agent where the policy allows agent forwarding.
import type { Connection } from 'ssh2';
import type { Logger } from 'pino';
import { fail, type FumidaiError } from '../errors.js';
import type { Caller } from '../auth/login.js';
import type { Config } from '../config/schema.js';
import type { Action } from '../policy/types.js';
import { ForwardedAgent } from '../ssh/glue.js';
import type { Directory, SessionIndex } from '../store/store.js';
import { connectUpstream, type Upstream } from '../upstream/connect.js';
import type { Resolved, SessionAccess } from './session-access.js';
import type { SessionEvents } from './session-events.js';

export interface UpstreamDeps {
  upstreamKey: Buffer;
  /** Signs a short-lived certificate of the upstream key for one session (targets set with --cert-login). */
  upstreamCert?: (req: { login: string; keyId: string }) => Buffer;
  settings: Config['upstream'];
  dir: Pick<Directory, 'pinHostKey'>;
  index: Pick<SessionIndex, 'openSession'>;
}

/** What the link needs of its session. */
export interface LinkOwner {
  auditKey: string;
  caller: Caller;
  startedAt: number;
  client: Connection;
  access: SessionAccess;
  events: SessionEvents;
  log: Logger;
  /** The session is in the index from now on. */
  indexed(): void;
  close(reason: string): Promise<void>;
}

export type OpenUpstream = Upstream & Resolved;

export class UpstreamLink {
  #deps: UpstreamDeps;
  #owner: LinkOwner;
  #opened: Promise<OpenUpstream> | undefined;
  #agentRequested = false;
  #notice: string | undefined;

  constructor(deps: UpstreamDeps, owner: LinkOwner) {
    this.#deps = deps;
    this.#owner = owner;
  }

  /** The client sent auth-agent-req: upstream authentication then tries its agent first (where allowed). */
  requestAgent(): void {
    this.#agentRequested = true;
  }

  /** The upstream connection, opened on first use. Throws what the user may see. */
  async open(action: Action): Promise<OpenUpstream> {
    if (!this.#opened) {
      // Until the session opens, each request is checked on its own: a refused -R that arrives before the shell
      // refuses only itself, instead of failing the session the shell then shares.
      const resolved = await this.#owner.access.resolve(action);
      this.#opened ??= this.#connect(action, resolved);
    }
    return this.#opened;
  }

  /** A line for the user about how the upstream login went, the first time it is asked for (then undefined). */
  takeNotice(): string | undefined {
    const notice = this.#notice;
    this.#notice = undefined;
    return notice;
  }

  /** Ends the upstream connection, if one was opened. */
  end(): void {
    this.#opened?.then((up) => up.client.end(), () => undefined);
  }

  async #connect(action: Action, resolved: Resolved): Promise<OpenUpstream> {
    const owner = this.#owner;
    owner.access.bind(resolved, action);
    const { target, login } = resolved;
    const { caller } = owner;
    const { settings, dir, index } = this.#deps;
    await index.openSession({
      auditKey: owner.auditKey, user: caller.user, sourceIp: caller.sourceIp, sourcePort: caller.sourcePort,
      target: target.name, login, startedAt: new Date(owner.startedAt).toISOString(),
    });
    owner.indexed();
    // Fail closed: a session whose SessionStart cannot be written does not reach its target; it ends here, and every
    // channel that waited for it is refused with the AUDIT_UNAVAILABLE line.
    await owner.events.emitOrRefuse('SessionStart').catch(async (err: Error) => {
      await owner.close(err.message);
      throw err;
    });
    const log = owner.log.child({ target: target.name, login });
    const agent = (await this.#agentAllowed()) ? new ForwardedAgent(owner.client) : undefined;
    // The target's sshd logs this key id: the person and the session, where authorized_keys would say only "fumidai".
    const certKeyId = target.certLogin ? `${caller.user}:${owner.auditKey}` : undefined;
    try {
      const certificate = certKeyId === undefined ? undefined : this.#certificate(login, certKeyId);
      const up = await connectUpstream({
        target,
        login,
        privateKey: this.#deps.upstreamKey,
        agent,
        certificate,
        connectTimeoutSec: settings.connectTimeout,
        keepaliveIntervalSec: settings.keepaliveInterval,
        pin: async (blob, fingerprint) => {
          await dir.pinHostKey(target.name, blob, fingerprint);
          await owner.events.emit('HostKeyPinned', { fingerprint });
        },
      });
      up.client.on('error', (err) => log.warn({ err: err.message }, 'upstream error'));
      await owner.events.emit('TargetConnect', { hostKey: up.hostKeyFingerprint, credential: up.credential, ...(up.credential === 'fumidai certificate' ? { certKeyId } : {}) });
      // Said once: someone who forwarded their agent expects it to be what logs in, and should know when it was not.
      if (this.#agentRequested && up.credential !== 'forwarded agent')
        this.#notice = `fumidai: your forwarded agent was not used to log in to ${target.name} (${agent ? 'the target accepted none of its keys' : 'agent forwarding is not allowed for you there'}): logged in with fumidai's key`;
      return { ...up, ...resolved };
    } catch (err) {
      await owner.events.emit('TargetConnectFailure', { reason: (err as Error).message, code: (err as FumidaiError).code });
      await owner.close((err as Error).message);
      throw err;
    }
  }

  #certificate(login: string, keyId: string): Buffer {
    if (!this.#deps.upstreamCert) throw fail('UPSTREAM_AUTH_FAILED', this.#owner.access.resolved?.target.name ?? '?', login, 'a certificate (no user CA on this node)');
    return this.#deps.upstreamCert({ login, keyId });
  }

  /** The client's agent is used upstream only if it was forwarded and the policy allows agent forwarding. */
  async #agentAllowed(): Promise<boolean> {
    if (!this.#agentRequested) return false;
    try {
      await this.#owner.access.authorize('agent-forward');
      return true;
    } catch {
      return false; // PolicyDenied is recorded; the session goes on with fumidai's own key
    }
  }
}
