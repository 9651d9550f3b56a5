// One client "session" channel: collects its requests (pty, env, agent), and on shell / exec / sftp opens the same
// request on the target and relays both ways. Used by the outer connection and by ProxyJump inner connections alike.
import type { ClientChannel, PseudoTtyInfo, ServerChannel, Session, X11Info } from 'ssh2';
import { fail, userLine } from '../errors.js';
import { notice as noticeLine } from '../notices.js'; // `notice` here writes a line to a channel
import type { ChannelRecording } from '../recording/channel-recording.js';
import { menuInput, renderMenu, type MenuEntry, type MenuState } from '../session/menu.js';
import type { TargetSession } from '../session/target-session.js';
import { endChannel } from '../ssh/channel-end.js';
import { relayChannel, watchUpstream, type UpstreamWatch } from './pipe.js';
import { relayX11 } from './forwarding.js';

type Request = { kind: 'shell' } | { kind: 'exec'; command: string } | { kind: 'subsystem'; name: string };

/** Exit status fumidai reports for its own failures, as ssh itself does. */
const FAILURE_STATUS = 255;

export function handleSessionChannel(session: Session, ts: TargetSession, listGrants: () => Promise<MenuEntry[]>): void {
  let pty: PseudoTtyInfo | undefined;
  let x11: X11Info | undefined;
  const env: Record<string, string> = {};
  let upstreamChannel: ClientChannel | undefined;
  let recording: ChannelRecording | undefined;
  let watch: UpstreamWatch;
  let started = false;
  const envAllowed = envMatcher(ts.config.relay.envAllow);

  session.on('pty', (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (pty) Object.assign(pty, info);
    upstreamChannel?.setWindow(info.rows, info.cols, info.height, info.width);
    recording?.resize(info.cols, info.rows);
    accept?.();
  });
  session.on('env', (accept, reject, { key, val }) => {
    if (envAllowed(key)) {
      env[key] = val;
      accept?.();
    } else reject?.();
  });
  session.on('auth-agent', (accept) => {
    ts.agentRequested = true;
    accept?.();
  });
  session.on('signal', (accept, _reject, { name }) => {
    try {
      upstreamChannel?.signal(name);
    } catch {
      // ssh2 refuses signals outside RFC 4254's list; the target would not know them either.
    }
    accept?.();
  });
  // Accepted at once (replies must keep their order); the policy decides when the shell or command starts.
  session.on('x11', (accept, _reject, info) => {
    x11 = info;
    accept?.();
  });

  // Requests are accepted synchronously (an exec's EOF follows within milliseconds); the work happens after.
  const start = (accept: (() => ServerChannel) | undefined, reject: (() => void) | undefined, request: Request) => {
    if (started || !accept) return reject?.();
    started = true;
    const channel = accept();
    run(channel, request).catch((err) => {
      ts.log.warn({ code: err.code, err: err.message }, 'session channel failed');
      endWithError(channel, userLine(err));
    });
  };
  session.on('shell', (accept, reject) => start(accept, reject, { kind: 'shell' }));
  session.on('exec', (accept, reject, { command }) => start(accept, reject, { kind: 'exec', command }));
  session.on('subsystem', (accept, reject, { name }) => {
    if (name !== 'sftp') return reject?.();
    start(accept, reject, { kind: 'subsystem', name });
  });

  async function run(channel: ServerChannel, request: Request): Promise<void> {
    channel.on('error', (err: Error) => ts.log.debug({ err: err.message }, 'client channel error'));
    ts.addChannel(channel, Boolean(pty));
    ts.touch();
    if (request.kind === 'shell' && ts.destination.kind === 'none' && pty) {
      const entry = await runMenu(channel, ts.caller.user, await listGrants(), () => ts.touch());
      if (!entry) return endWith(channel, 0);
      ts.destination = { kind: 'target', target: entry.target, login: entry.login };
    }
    const action = request.kind === 'subsystem' ? 'sftp' : request.kind;
    const up = await ts.upstream(action);
    await ts.authorize(action); // every channel is checked, not only the one that opened the connection
    await ts.event('ChannelOpen', { channelType: request.kind === 'subsystem' ? request.name : request.kind, ...(request.kind === 'exec' ? { command: request.command } : {}), pty: Boolean(pty) });
    // Recorded or not at all: if the recording cannot be opened, the channel is refused.
    recording = await ts.startRecording({
      kind: request.kind === 'subsystem' ? 'sftp' : request.kind,
      command: request.kind === 'exec' ? request.command : undefined,
      pty: pty && { cols: pty.cols, rows: pty.rows, term: pty.term },
    });
    if (pty && request.kind === 'shell') {
      const text = ts.config.relay.banner.replaceAll('{auditKey}', ts.auditKey);
      const banner = Buffer.from(text ? `${text}\r\n` : '');
      recording.output(banner); // part of what the user saw, so part of the recording
      channel.write(banner);
    }
    const say = (line: string) => notice(channel, recording!, line, Boolean(pty));
    const display = x11 && request.kind !== 'subsystem' ? await x11Display(ts, x11, say) : undefined;
    if (display) relayX11(ts, up.client); // listening before the target can open the first X11 channel
    try {
      ({ channel: upstreamChannel, watch } = await openUpstream(up.client, request, pty, env, display).catch(async (err: Error) => {
        if (!display) throw err;
        // ssh2 fails the whole channel when the target refuses X11; OpenSSH goes on without it, and so do we.
        say(fail('UPSTREAM_CHANNEL_FAILED', up.target.name, 'X11 forwarding', err.message).line);
        return openUpstream(up.client, request, pty, env, undefined);
      }));
    } catch (err) {
      await ts.sealRecording(recording, 255);
      throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, describe(request), (err as Error).message);
    }
    if (pty) upstreamChannel.setWindow(pty.rows, pty.cols, pty.height, pty.width);
    const touch = () => ts.touch();
    // A transfer is activity too; on a terminal only what the person types counts, not what scrolls by.
    const rec = recording;
    const status = await relayChannel(channel, upstreamChannel, watch, up.target.name, {
      onInput: touch,
      onOutput: pty ? undefined : touch,
      recording: rec,
      onRecordingFailed: (err) => void ts.event('RecordingFailed', { reason: (err as NodeJS.ErrnoException).code ?? err.message }),
    });
    if (status !== undefined) ts.lastExitStatus = status;
    await ts.sealRecording(rec, status);
  }
}

/** The X11 request to pass upstream, or undefined (with a line to the user) where the policy does not allow it. */
async function x11Display(ts: TargetSession, info: X11Info, say: (line: string) => void): Promise<X11Info | undefined> {
  try {
    await ts.authorize('x11');
    return info; // the client's own (often fake) cookie goes through: the client swaps it for the real one
  } catch (err) {
    say(noticeLine('WITHOUT_X11', err));
    return undefined;
  }
}

/** A line on the channel's stderr, before the target's own output; part of what the user saw, so recorded. */
function notice(channel: ServerChannel, recording: ChannelRecording, line: string, pty: boolean): void {
  const bytes = Buffer.from(pty ? `${line}\r\n` : `${line}\n`);
  recording.output(bytes, 'stderr');
  if (channel.writable) channel.stderr.write(bytes);
}

function openUpstream(
  client: import('ssh2').Client,
  request: Request,
  pty: PseudoTtyInfo | undefined,
  env: Record<string, string>,
  x11: X11Info | undefined,
): Promise<{ channel: ClientChannel; watch: UpstreamWatch }> {
  const window = pty && { term: pty.term, rows: pty.rows, cols: pty.cols, width: pty.width, height: pty.height, modes: pty.modes };
  return new Promise((resolve, reject) => {
    // The watch is attached inside the callback, synchronously, before any later packet can be handled.
    const done = (err: Error | undefined, ch: ClientChannel) => (err ? reject(err) : resolve({ channel: ch, watch: watchUpstream(ch) }));
    // ssh2's server hands the cookie over as a Buffer of its hex text, and its client hex-encodes Buffers again.
    const cookie: unknown = x11?.cookie;
    const display = x11 && { single: x11.single, protocol: x11.protocol, cookie: Buffer.isBuffer(cookie) ? cookie.toString('latin1') : x11.cookie, screen: x11.screen };
    if (request.kind === 'shell') client.shell(window ?? false, { env, ...(display ? { x11: display } : {}) }, done);
    else if (request.kind === 'exec') client.exec(request.command, { env, pty: window || undefined, ...(display ? { x11: display } : {}) }, done);
    else client.subsys(request.name, done);
  });
}

function runMenu(channel: ServerChannel, user: string, entries: MenuEntry[], touch: () => void): Promise<MenuEntry | undefined> {
  channel.write(renderMenu(user, entries));
  if (entries.length === 0) return Promise.resolve(undefined);
  let state: MenuState = { entries, line: '' };
  return new Promise((resolve) => {
    const finish = (entry: MenuEntry | undefined) => {
      channel.off('data', onData).off('end', onEnd);
      channel.pause(); // what follows the choice is for the target: leave it in the stream
      resolve(entry);
    };
    const onEnd = () => finish(undefined);
    const onData = (chunk: Buffer) => {
      touch();
      const step = menuInput(state, chunk.toString('utf8'));
      channel.write(step.output);
      if (step.kind === 'chosen') {
        if (step.rest) channel.unshift(Buffer.from(step.rest)); // typed ahead: meant for the target
        finish(step.entry);
      }
      else if (step.kind === 'quit') finish(undefined);
      else state = step.state;
    };
    channel.on('data', onData).on('end', onEnd);
  });
}

function describe(request: Request): string {
  return request.kind === 'exec' ? `exec: ${request.command}` : request.kind === 'subsystem' ? request.name : 'shell';
}

function endWithError(channel: ServerChannel, line: string): void {
  void endChannel(channel, { code: FAILURE_STATUS }, line);
}

function endWith(channel: ServerChannel, status: number): void {
  void endChannel(channel, { code: status });
}

function envMatcher(patterns: string[]): (key: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (key) => exact.has(key) || prefixes.some((p) => key.startsWith(p));
}

