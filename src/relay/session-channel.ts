// One client "session" channel: collects its requests (pty, env, agent), and on shell / exec / sftp opens the same
// request on the target and relays both ways. Used by the outer connection and by ProxyJump inner connections alike.
import type { ClientChannel, PseudoTtyInfo, ServerChannel, Session as SshSession, X11Info } from 'ssh2';
import { fail, userLine } from '../errors.js';
import type { Reachable } from '../policy/access.js';
import { notice } from '../notices.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import type { Session } from '../session/session.js';
import { endChannel } from '../ssh/channel-end.js';
import { runMenu } from './menu-prompt.js';
import { checkExec, fileCheck, hasFileRules, watchTransferSizes } from './rules.js';
import { sftpGate } from './sftp-gate.js';
import { relayChannel, watchUpstream, type UpstreamWatch } from './pipe.js';
import { relayX11 } from './x11.js';
import { LineGate } from './line-gate.js';
import { ShellScreen } from '../playback/shell-screen.js';
import type { ShellRules } from '../session/shell-rules.js';

export interface SessionChannelOptions {
  /** Environment variables passed on to the target (names, or prefixes ending in '*'). */
  envAllow: string[];
  /** The banner shown at the top of a terminal; {auditKey} is replaced. */
  banner: string;
  /** The targets a session without one may choose from (the menu). */
  reachable: () => Promise<Reachable[]>;
  /** A command fumidai runs itself (`ssh alice@bastion cert`) for a session without a target; undefined: not one. */
  bastionCommand?: (command: string, session: Session) => Promise<BastionReply | undefined>;
  /** The policy's shell rules, decided on each line submitted at a terminal. */
  shellRules?: ShellRules;
}

/** What a bastion command prints and its exit status. */
export interface BastionReply {
  stdout: string;
  stderr?: string;
  status: number;
}

type Request = { kind: 'shell' } | { kind: 'exec'; command: string } | { kind: 'subsystem'; name: string };

/** Exit status fumidai reports for its own failures, as ssh itself does. */
const FAILURE_STATUS = 255;

export function handleSessionChannel(ssh: SshSession, session: Session, opts: SessionChannelOptions): void {
  let pty: PseudoTtyInfo | undefined;
  let x11: X11Info | undefined;
  const env: Record<string, string> = {};
  let upstreamChannel: ClientChannel | undefined;
  let recording: ChannelRecording | undefined;
  let watch: UpstreamWatch;
  let started = false;
  let screen: ShellScreen | undefined;
  const envAllowed = envMatcher(opts.envAllow);

  ssh.on('pty', (accept, _reject, info) => {
    pty = info;
    accept?.();
  });
  ssh.on('window-change', (accept, _reject, info) => {
    if (pty) Object.assign(pty, info);
    upstreamChannel?.setWindow(info.rows, info.cols, info.height, info.width);
    recording?.resize(info.cols, info.rows);
    screen?.resize(info.cols, info.rows);
    accept?.();
  });
  ssh.on('env', (accept, reject, { key, val }) => {
    if (envAllowed(key)) {
      env[key] = val;
      accept?.();
    } else reject?.();
  });
  ssh.on('auth-agent', (accept) => {
    session.link.requestAgent();
    accept?.();
  });
  ssh.on('signal', (accept, _reject, { name }) => {
    try {
      upstreamChannel?.signal(name);
    } catch {
      // ssh2 refuses signals outside RFC 4254's list; the target would not know them either.
    }
    accept?.();
  });
  // Accepted at once (replies must keep their order); the policy decides when the shell or command starts.
  ssh.on('x11', (accept, _reject, info) => {
    x11 = info;
    accept?.();
  });

  // Requests are accepted synchronously (an exec's EOF follows within milliseconds); the work happens after.
  const start = (accept: (() => ServerChannel) | undefined, reject: (() => void) | undefined, request: Request) => {
    if (started || !accept) return reject?.();
    started = true;
    const channel = accept();
    run(channel, request).catch((err) => {
      session.log.warn({ code: err.code, err: err.message }, 'session channel failed');
      endWithError(channel, userLine(err));
    });
  };
  ssh.on('shell', (accept, reject) => start(accept, reject, { kind: 'shell' }));
  ssh.on('exec', (accept, reject, { command }) => start(accept, reject, { kind: 'exec', command }));
  ssh.on('subsystem', (accept, reject, { name }) => {
    if (name !== 'sftp') return reject?.();
    start(accept, reject, { kind: 'subsystem', name });
  });

  async function run(channel: ServerChannel, asked: Request): Promise<void> {
    channel.on('error', (err: Error) => session.log.debug({ err: err.message }, 'client channel error'));
    // A certificate's force-command replaces whatever was asked (shell, command or subsystem), as OpenSSH does.
    const forced = session.caller.certificate?.forceCommand;
    const request: Request = forced !== undefined ? { kind: 'exec', command: forced } : asked;
    if (request.kind === 'exec' && session.access.destination.kind === 'none' && opts.bastionCommand) {
      const reply = await opts.bastionCommand(request.command, session);
      if (reply) {
        if (reply.stdout) channel.write(reply.stdout);
        return void endChannel(channel, { code: reply.status }, reply.stderr);
      }
    }
    const action = request.kind === 'subsystem' ? 'sftp' : request.kind;
    session.channels.add(channel, Boolean(pty), action);
    session.clock.touch();
    if (request.kind === 'shell' && session.access.destination.kind === 'none' && pty) {
      const entry = await runMenu(channel, session.caller.user, await opts.reachable(), () => session.clock.touch());
      if (!entry) return endWith(channel, 0);
      session.access.choose(entry.target, entry.login);
    }
    const up = await session.link.open(action);
    await session.access.authorize(action); // every channel is checked, not only the one that opened the connection
    // The command rules decide before the target sees the command (a refused one is not in ChannelOpen: it never ran).
    // Read once per channel: a reloaded policy applies from the next channel on.
    const rules = request.kind === 'exec' ? await checkExec(session, request.command) : request.kind === 'subsystem' ? await session.access.rules() : undefined;
    // Fail closed: a channel whose ChannelOpen cannot be written is refused (AUDIT_UNAVAILABLE) before the target sees it.
    await session.events.emitOrRefuse('ChannelOpen', { channelType: request.kind === 'subsystem' ? request.name : request.kind, ...(request.kind === 'exec' ? { command: request.command } : {}), pty: Boolean(pty) });
    // Recorded or not at all: if the recording cannot be opened, the channel is refused.
    recording = await session.recordings.start(up, {
      kind: request.kind === 'subsystem' ? 'sftp' : request.kind,
      command: request.kind === 'exec' ? request.command : undefined,
      pty: pty && { cols: pty.cols, rows: pty.rows, term: pty.term },
    });
    if (pty && request.kind === 'shell') {
      const text = opts.banner.replaceAll('{auditKey}', session.auditKey);
      const banner = Buffer.from(text ? `${text}\r\n` : '');
      recording.output(banner); // part of what the user saw, so part of the recording
      channel.write(banner);
    }
    const say = (line: string) => writeLine(channel, recording!, line, Boolean(pty));
    const notice = session.link.takeNotice();
    if (notice) say(notice);
    const display = x11 && request.kind !== 'subsystem' ? await x11Display(session, x11, say) : undefined;
    if (display) relayX11(session, up); // listening before the target can open the first X11 channel
    try {
      ({ channel: upstreamChannel, watch } = await openUpstream(up.client, request, pty, env, display).catch(async (err: Error) => {
        if (!display) throw err;
        // ssh2 fails the whole channel when the target refuses X11; OpenSSH goes on without it, and so do we.
        say(fail('UPSTREAM_CHANNEL_FAILED', up.target.name, 'X11 forwarding', err.message).line);
        return openUpstream(up.client, request, pty, env, undefined);
      }));
    } catch (err) {
      await session.recordings.seal(recording, 255);
      throw fail('UPSTREAM_CHANNEL_FAILED', up.target.name, describe(request), (err as Error).message);
    }
    if (pty) upstreamChannel.setWindow(pty.rows, pty.cols, pty.height, pty.width);
    // A terminal (a shell, or a command run with -t) under shell rules: each Enter waits for its line's decision.
    const judge = pty && opts.shellRules ? await opts.shellRules.judgeFor(session, (line) => say(`\r\n${line}`)) : undefined;
    if (judge) screen = new ShellScreen(pty!.cols, pty!.rows);
    const lineGate = judge && screen ? new LineGate(screen, judge) : undefined;
    const touch = () => session.clock.touch();
    // A transfer is activity too; on a terminal only what the person types counts, not what scrolls by.
    const rec = recording;
    if (rules) watchTransferSizes(session, rules, rec);
    const gate = request.kind === 'subsystem' && rules && hasFileRules(rules) ? sftpGate(fileCheck(session, rules, rec.info.channel, (err) => rec.fail(err))) : undefined;
    const status = await relayChannel(channel, upstreamChannel, watch, up.target.name, {
      gate,
      onInput: touch,
      onOutput: pty ? undefined : touch,
      recording: rec,
      ...(lineGate ? { lineGate } : {}),
      onRecordingFailed: (err) => void session.events.emit('RecordingFailed', { reason: (err as NodeJS.ErrnoException).code ?? err.message }),
    });
    screen?.dispose();
    session.channels.exited(status);
    await session.recordings.seal(rec, status);
  }
}

/** The X11 request to pass upstream, or undefined (with a line to the user) where the policy does not allow it. */
async function x11Display(session: Session, info: X11Info, say: (line: string) => void): Promise<X11Info | undefined> {
  try {
    await session.access.authorize('x11');
    return info; // the client's own (often fake) cookie goes through: the client swaps it for the real one
  } catch (err) {
    say(notice('WITHOUT_X11', err));
    return undefined;
  }
}

/** A line on the channel's stderr, before the target's own output; part of what the user saw, so recorded. */
function writeLine(channel: ServerChannel, recording: ChannelRecording, line: string, pty: boolean): void {
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

