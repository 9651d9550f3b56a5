// One client connection on its way to one target: resolves and authorizes the destination, opens the upstream
// connection once (shared by the connection's channels, as ControlMaster multiplexing expects), keeps the session
// index up to date, and can be ended from outside (idle timeout, maximum length, revocation) with a message.
import type { Connection, ServerChannel } from 'ssh2';
import { fail, FumidaiError } from '../errors.js';
import { decide } from '../policy/engine.js';
import type { Action, Decision } from '../policy/types.js';
import type { TargetRecord } from '../store/store.js';
import { connectUpstream, type Upstream } from '../upstream/connect.js';
import { newAuditKey } from './audit-key.js';
import type { Caller, GatewayDeps, Resolved } from './context.js';
import type { Destination } from './destination.js';
import type { ClockState, SessionLimits } from './clock.js';
import { ForwardedAgent } from '../ssh/glue.js';
import { endChannel } from '../ssh/channel-end.js';
import type { EventName, OptionalFieldsEvent } from '../audit/events.js';
import type { EventFields } from '../audit/trail.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import { SessionRecorder, type ChannelSpec } from './recorder.js';


export class TargetSession {
  readonly auditKey: string;
  readonly caller: Caller;
  destination: Destination;
  /** Set when the client sent auth-agent-req; upstream auth then uses its agent first. */
  agentRequested = false;
  lastExitStatus: number | undefined;
  readonly clock: ClockState;
  limits: SessionLimits;
  #deps: GatewayDeps;
  #conn: Connection;
  #upstream: Promise<Upstream & Resolved> | undefined;
  #resolved: Resolved | undefined;
  #action: Action = 'shell';
  #channels = new Map<ServerChannel, { pty: boolean }>();
  /** Port-forwarding channels: ended with the session, never written to. */
  #tunnels = new Set<{ close(): void; once(event: 'close', listener: () => void): unknown }>();
  #recorded = false;
  #recorder: SessionRecorder;
  #closed = false;

  constructor(deps: GatewayDeps, conn: Connection, caller: Caller, destination: Destination) {
    this.#deps = deps;
    this.#conn = conn;
    this.caller = caller;
    this.destination = destination;
    this.auditKey = newAuditKey(caller.user);
    const now = Date.now();
    this.clock = { startedAt: now, lastInputAt: now, warned: { idle: false, length: false } };
    const s = deps.config.session;
    this.limits = { idleTimeoutSec: s.idleTimeout, maxLengthSec: s.maxLength, warningSec: s.warning };
    this.#recorder = new SessionRecorder(deps, this.auditKey, caller.user, (name, fields) => this.event(name, fields), () => this.log);
  }

  get log() {
    return this.#deps.log.child({ auditKey: this.auditKey, user: this.caller.user });
  }

  /** Leaves an audit event about this session, with its audit key, user, source, target and login filled in. */
  event<N extends OptionalFieldsEvent>(name: N, fields?: EventFields<N>, about?: { target: string; login: string }): Promise<void>;
  event<N extends EventName>(name: N, fields: EventFields<N>, about?: { target: string; login: string }): Promise<void>;
  event(name: EventName, fields: EventFields<EventName> = {}, about?: { target: string; login: string }): Promise<void> {
    const r = about ?? (this.#resolved && { target: this.#resolved.target.name, login: this.#resolved.login });
    return this.#deps.audit
      .record(name, { sessionId: this.auditKey, user: this.caller.user, sourceIp: this.caller.sourceIp, sourcePort: this.caller.sourcePort, ...(r ?? {}) }, fields)
      .catch((err) => this.log.error({ err: (err as Error).message }, 'audit event lost'));
  }

  /** The client's SSH connection, for channels fumidai opens toward the client (forwarded connections, X11). */
  get clientConnection(): Connection {
    return this.#conn;
  }

  get config() {
    return this.#deps.config;
  }

  /**
   * Whether the session's clocks run: it has a channel, or reached a target (`ssh -N -L` may hold no channel for a
   * while). A ProxyJump carrier has neither: its inner session does.
   */
  get active(): boolean {
    return this.#channels.size > 0 || this.#tunnels.size > 0 || this.#resolved !== undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Client activity: resets the idle clock (and re-arms its warning). */
  touch(): void {
    this.clock.lastInputAt = Date.now();
    this.clock.warned.idle = false;
  }

  addChannel(channel: ServerChannel, pty: boolean): void {
    this.#channels.set(channel, { pty });
    channel.once('close', () => this.#channels.delete(channel));
  }

  addTunnel(channel: { close(): void; once(event: 'close', listener: () => void): unknown }): void {
    this.#tunnels.add(channel);
    channel.once('close', () => this.#tunnels.delete(channel));
  }

  /** A line on every open terminal of this session (stderr for the others, where it does not corrupt data). */
  notify(line: string): void {
    for (const [channel, { pty }] of this.#channels) {
      if (!channel.writable) continue;
      if (pty) channel.write(`\r\n${line}\r\n`);
      else channel.stderr.write(`${line}\n`);
    }
  }

  /** Ends the session from outside with a message to the user. */
  terminate(line: string, reason: string): void {
    if (this.#closed) return;
    const ends = [...this.#channels].map(([channel, { pty }]) =>
      pty ? (channel.writable && channel.write(`\r\n${line}\r\n`), endChannel(channel, { code: 255 })) : endChannel(channel, { code: 255 }, line),
    );
    for (const tunnel of this.#tunnels) tunnel.close();
    void this.close(reason);
    // The message and exit status leave first; then the connection goes, whatever the client does.
    void Promise.all(ends).then(() => setTimeout(() => this.#conn.end(), 100).unref());
  }

  /** Opens the recording of a new channel and indexes it; throws RECORDING_FAILED if it cannot be written. */
  startRecording(c: ChannelSpec): Promise<ChannelRecording> {
    return this.#recorder.start(this.#resolved!, c);
  }

  /** Seals a channel's recording: its sha256 goes into the index, so later tampering is detectable. */
  sealRecording(rec: ChannelRecording, exitStatus: number | undefined): Promise<void> {
    return this.#recorder.seal(rec, exitStatus);
  }

  /** Resolves the destination and checks access for an action. Throws what the user may see. */
  async #resolveFor(action: Action): Promise<Resolved> {
    const dest = this.destination;
    if (dest.kind !== 'target') throw fail('TARGET_NOT_GIVEN');
    const target = await this.#deps.store.getTarget(dest.target);
    if (!target) throw fail('TARGET_UNKNOWN', dest.target);
    const resolved = { target, login: await this.#loginFor(target, dest.login, action) };
    await this.#require(resolved, action);
    return resolved;
  }

  /**
   * The login a destination names. `ssh alice@web1@bastion` reads as "I, alice, to web1": alice's own name is her
   * login there where the policy allows it, and the target's default login otherwise.
   */
  async #loginFor(target: TargetRecord, named: string | undefined, action: Action): Promise<string> {
    if (named === undefined) return target.defaultLogin;
    if (named !== this.caller.user || named === target.defaultLogin) return named;
    return (await this.#decide(target.name, named, action)).allow ? named : target.defaultLogin;
  }

  /** Checks a later channel (or agent forwarding) of an already resolved session. */
  async authorize(action: Action): Promise<void> {
    if (this.#resolved) await this.#require(this.#resolved, action);
  }

  async #require(r: Resolved, action: Action): Promise<void> {
    const decision = await this.#decide(r.target.name, r.login, action);
    if (!decision.allow) {
      await this.event('PolicyDenied', { reason: decision.reason, action, ...(decision.rule ? { rule: decision.rule } : {}) }, { target: r.target.name, login: r.login });
      throw fail('ACCESS_DENIED', decision.reason);
    }
    // The tightest limits win: the node's configuration, or a stricter rule.
    const tighter = (configured: number, rule: number | undefined) => (rule === undefined ? configured : configured > 0 ? Math.min(configured, rule) : rule);
    this.limits.idleTimeoutSec = tighter(this.limits.idleTimeoutSec, decision.limits.idleTimeoutSec);
    this.limits.maxLengthSec = tighter(this.limits.maxLengthSec, decision.limits.maxSessionSec);
  }

  /** Why this session may no longer go on, or undefined if it may: the key, the user and the policy must all hold. */
  async recheck(): Promise<string | undefined> {
    if (this.#recorded) {
      const kill = (await this.#deps.store.getSession(this.auditKey))?.terminationRequested;
      if (kill) return `an administrator ended this session: ${kill}`;
    }
    const key = await this.#deps.store.findKey(this.caller.keyFingerprint);
    if (!key || key.user !== this.caller.user) return `the key ${this.caller.keyFingerprint} was removed`;
    if (!this.#resolved) {
      const user = await this.#deps.store.getUser(this.caller.user);
      return !user ? `user '${this.caller.user}' was removed` : user.disabled ? `user '${this.caller.user}' is disabled` : undefined;
    }
    const decision = await this.#decide(this.#resolved.target.name, this.#resolved.login, this.#action);
    return decision.allow ? undefined : decision.reason;
  }

  async #decide(target: string, login: string, action: Action): Promise<Decision> {
    const { store } = this.#deps;
    const user = await store.getUser(this.caller.user);
    if (!user) return { allow: false, reason: `user '${this.caller.user}' was removed` };
    const input = { user: user.name, userDisabled: user.disabled, sourceIp: this.caller.sourceIp, target, login, action, at: new Date(), mfa: this.caller.mfa };
    return decide(input, await this.#deps.policy.current(), await store.grantsOf(user.name));
  }

  /** The upstream connection, opened on first use. */
  async upstream(action: Action): Promise<Upstream & Resolved> {
    if (!this.#upstream) {
      // Until the session opens, each request is checked on its own: a refused -R that arrives before the shell
      // refuses only itself, instead of failing the session the shell then shares.
      const resolved = await this.#resolveFor(action);
      this.#upstream ??= this.#open(action, resolved);
    }
    return this.#upstream;
  }

  async #open(action: Action, resolved: Resolved): Promise<Upstream & Resolved> {
    this.#resolved = resolved;
    this.#action = action;
    const { target, login } = resolved;
    const { config, store, upstreamKey } = this.#deps;
    await store.openSession({
      auditKey: this.auditKey,
      user: this.caller.user,
      sourceIp: this.caller.sourceIp,
      sourcePort: this.caller.sourcePort,
      target: target.name,
      login,
      startedAt: new Date(this.clock.startedAt).toISOString(),
    });
    this.#recorded = true;
    await this.event('SessionStart');
    const log = this.log.child({ target: target.name, login });
    try {
      const up = await connectUpstream({
        target,
        login,
        privateKey: upstreamKey,
        agent: (await this.#agentAllowed()) ? new ForwardedAgent(this.#conn) : undefined,
        connectTimeoutSec: config.upstream.connectTimeout,
        keepaliveIntervalSec: config.upstream.keepaliveInterval,
        pin: async (blob, fingerprint) => {
          await store.pinHostKey(target.name, blob, fingerprint);
          await this.event('HostKeyPinned', { fingerprint });
        },
      });
      up.client.on('error', (err) => log.warn({ err: err.message }, 'upstream error'));
      await this.event('TargetConnect', { hostKey: up.hostKeyFingerprint });
      return { ...up, ...resolved };
    } catch (err) {
      await this.event('TargetConnectFailure', { reason: (err as Error).message, code: (err as FumidaiError).code });
      await this.close((err as Error).message);
      throw err;
    }
  }

  /** The client's agent is used upstream only if it was forwarded and the policy allows agent forwarding. */
  async #agentAllowed(): Promise<boolean> {
    if (!this.agentRequested) return false;
    try {
      await this.authorize('agent-forward');
      return true;
    } catch {
      return false; // PolicyDenied is recorded; the session goes on with fumidai's own key
    }
  }

  async close(reason?: string): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#upstream?.then((up) => up.client.end(), () => undefined);
    if (this.#recorded) {
      const durationSec = (Date.now() - this.clock.startedAt) / 1000;
      await this.event('SessionEnd', { reason, exitStatus: this.lastExitStatus, durationSec, bytesIn: this.#recorder.bytes.in, bytesOut: this.#recorder.bytes.out });
      const end = { endedAt: new Date().toISOString(), exitStatus: this.lastExitStatus, reason, bytesIn: this.#recorder.bytes.in, bytesOut: this.#recorder.bytes.out };
      await this.#deps.indexWrites.write(`end of session ${this.auditKey}`, () => this.#deps.store.closeSession(this.auditKey, end));
    }
  }
}
