// One client connection on its way to one target: resolves and authorizes the destination, opens the upstream
// connection once (shared by the connection's channels, as ControlMaster multiplexing expects) and keeps the
// session index up to date.
import type { Connection } from 'ssh2';
import { fail, FumidaiError } from '../errors.js';
import { decideAccess } from '../policy/access.js';
import type { TargetRecord } from '../store/store.js';
import { connectUpstream, type Upstream } from '../upstream/connect.js';
import { newAuditKey } from './audit-key.js';
import type { Caller, GatewayDeps } from './context.js';
import type { Destination } from './destination.js';
import { ForwardedAgent } from './ssh2-glue.js';

export interface Resolved {
  target: TargetRecord;
  login: string;
}

export class TargetSession {
  readonly auditKey: string;
  readonly caller: Caller;
  destination: Destination;
  /** Set when the client sent auth-agent-req; upstream auth then uses its agent first. */
  agentRequested = false;
  lastExitStatus: number | undefined;
  #deps: GatewayDeps;
  #conn: Connection;
  #upstream: Promise<Upstream & Resolved> | undefined;
  #recorded = false;
  #closed = false;

  constructor(deps: GatewayDeps, conn: Connection, caller: Caller, destination: Destination) {
    this.#deps = deps;
    this.#conn = conn;
    this.caller = caller;
    this.destination = destination;
    this.auditKey = newAuditKey(caller.user);
  }

  get log() {
    return this.#deps.log.child({ auditKey: this.auditKey, user: this.caller.user });
  }

  get config() {
    return this.#deps.config;
  }

  /** Resolves the destination and checks access. Throws a FumidaiError the user may see. */
  async resolve(): Promise<Resolved> {
    const dest = this.destination;
    if (dest.kind !== 'target') throw fail('TARGET_NOT_GIVEN');
    const { store } = this.#deps;
    const target = await store.getTarget(dest.target);
    if (!target) throw fail('TARGET_UNKNOWN', dest.target);
    const login = dest.login ?? target.defaultLogin;
    const user = await store.getUser(this.caller.user);
    const decision = decideAccess({
      user: this.caller.user,
      userDisabled: !user || user.disabled,
      target: target.name,
      login,
      grants: user ? await store.grantsOf(user.name) : [],
    });
    if (!decision.allow) {
      this.log.warn({ event: 'PolicyDenied', target: target.name, login, reason: decision.reason }, 'access denied');
      throw fail('ACCESS_DENIED', decision.reason);
    }
    return { target, login };
  }

  /** The upstream connection, opened on first use. */
  upstream(): Promise<Upstream & Resolved> {
    this.#upstream ??= this.#open();
    return this.#upstream;
  }

  async #open(): Promise<Upstream & Resolved> {
    const resolved = await this.resolve();
    const { target, login } = resolved;
    const { config, store, upstreamKey } = this.#deps;
    await store.openSession({
      auditKey: this.auditKey,
      user: this.caller.user,
      sourceIp: this.caller.sourceIp,
      sourcePort: this.caller.sourcePort,
      target: target.name,
      login,
      startedAt: new Date().toISOString(),
    });
    this.#recorded = true;
    const log = this.log.child({ target: target.name, login });
    try {
      const up = await connectUpstream({
        target,
        login,
        privateKey: upstreamKey,
        agent: this.agentRequested ? new ForwardedAgent(this.#conn) : undefined,
        connectTimeoutSec: config.upstream.connectTimeout,
        keepaliveIntervalSec: config.upstream.keepaliveInterval,
        pin: async (blob, fingerprint) => {
          await store.pinHostKey(target.name, blob, fingerprint);
          log.info({ event: 'HostKeyPinned', fingerprint }, 'pinned target host key on first use');
        },
      });
      up.client.on('error', (err) => log.warn({ err: err.message }, 'upstream error'));
      log.info({ event: 'TargetConnect', hostKey: up.hostKeyFingerprint, result: 'success' }, 'connected to target');
      return { ...up, ...resolved };
    } catch (err) {
      log.warn({ event: 'TargetConnect', result: 'failure', code: (err as FumidaiError).code, err: (err as Error).message }, 'target connection failed');
      await this.close((err as Error).message);
      throw err;
    }
  }

  async close(reason?: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream?.then((up) => up.client.end(), () => undefined);
    if (this.#recorded) {
      await this.#deps.store
        .closeSession(this.auditKey, { endedAt: new Date().toISOString(), exitStatus: this.lastExitStatus, reason })
        .catch((err) => this.log.error({ err }, 'could not close session record'));
    }
  }
}
