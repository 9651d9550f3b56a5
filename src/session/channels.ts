// The open channels of one session, toward the client: terminals, exec and sftp channels, and tunnels (port
// forwarding and X11). Knows which action each serves, so the live re-check asks about every action in use and can end
// the channels of one action alone; writes a line on every terminal; ends them all, in SSH order, when the session is
// ended from outside.
import type { Connection, ServerChannel } from 'ssh2';
import type { Action } from '../policy/types.js';
import { endChannel } from '../ssh/channel-end.js';

/** A tunnel channel (ssh2's Channel on either side): closed with the session, never written to. */
export interface TunnelChannel {
  close(): void;
  once(event: 'close', listener: () => void): unknown;
}

export class SessionChannels {
  /** The client's SSH connection, for channels fumidai opens toward the client (forwarded connections, X11). */
  readonly client: Connection;
  #channels = new Map<ServerChannel, { pty: boolean; action: Action }>();
  #tunnels = new Map<TunnelChannel, Action>();
  #exitStatus: number | undefined;

  constructor(client: Connection) {
    this.client = client;
  }

  add(channel: ServerChannel, pty: boolean, action: Action): void {
    this.#channels.set(channel, { pty, action });
    channel.once('close', () => this.#channels.delete(channel));
  }

  addTunnel(tunnel: TunnelChannel, action: Action): void {
    this.#tunnels.set(tunnel, action);
    tunnel.once('close', () => this.#tunnels.delete(tunnel));
  }

  /** Channels and tunnels now open. */
  get count(): number {
    return this.#channels.size + this.#tunnels.size;
  }

  /** The actions the open channels serve. */
  actions(): Set<Action> {
    return new Set([...[...this.#channels.values()].map((c) => c.action), ...this.#tunnels.values()]);
  }

  /** The last exit status a target reported on a session channel: the session's own, at its end. */
  get exitStatus(): number | undefined {
    return this.#exitStatus;
  }

  exited(status: number | undefined): void {
    if (status !== undefined) this.#exitStatus = status;
  }

  /** A line on every open terminal of this session (stderr for the others, where it does not corrupt data). */
  notify(line: string): void {
    for (const [channel, { pty }] of this.#channels) {
      if (!channel.writable) continue;
      if (pty) channel.write(`\r\n${line}\r\n`);
      else channel.stderr.write(`${line}\n`);
    }
  }

  /** Ends every channel with the line and exit status 255, closes every tunnel; resolves once the lines left. */
  async endAll(line: string): Promise<void> {
    const ends = [...this.#channels].map(([channel, { pty }]) => end(channel, pty, line));
    for (const tunnel of this.#tunnels.keys()) tunnel.close();
    await Promise.all(ends);
  }

  /**
   * Ends the channels of one action with the line (exit status 255) and closes its tunnels; returns how many. They
   * are no longer in use from now on, while their last lines leave. A tunnel has no stderr: the session's other
   * channels read the line instead.
   */
  endAction(action: Action, line: string): number {
    const channels = [...this.#channels].filter(([, c]) => c.action === action);
    const tunnels = [...this.#tunnels].filter(([, a]) => a === action).map(([tunnel]) => tunnel);
    for (const [channel, { pty }] of channels) {
      this.#channels.delete(channel);
      void end(channel, pty, line);
    }
    for (const tunnel of tunnels) {
      this.#tunnels.delete(tunnel);
      tunnel.close();
    }
    if (tunnels.length) this.notify(line);
    return channels.length + tunnels.length;
  }
}

/** A terminal gets the line in its output (its stderr is the same screen); others on stderr, before the exit status. */
function end(channel: ServerChannel, pty: boolean, line: string): Promise<void> {
  if (!pty) return endChannel(channel, { code: 255 }, line);
  if (channel.writable) channel.write(`\r\n${line}\r\n`);
  return endChannel(channel, { code: 255 });
}
