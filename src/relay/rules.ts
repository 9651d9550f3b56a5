// The policy's command, file-transfer and tunnel rules where the relay is about to pass something on: the pure
// verdicts (policy/command-rules.ts) taken before the target sees the command, the file or the connection, and one
// CommandMatched event per rule that matched. Alerts of something that goes ahead gate it (fail closed: no alert, no
// action); a refusal's events are written as best they can be, since nothing happens either way.
import { fail } from '../errors.js';
import { decideExec, decideFile, decideTunnel, inScope, type Matched } from '../policy/command-rules.js';
import type { RuleContext } from '../policy/command-types.js';
import type { PolicyDocument } from '../policy/types.js';
import type { ChannelRecording } from '../recording/channel-recording.js';
import { scpMode } from '../recording/scp-tracker.js';
import type { Session } from '../session/session.js';

export interface RuleSet {
  policy: PolicyDocument;
  context: RuleContext;
}

type On = 'exec' | 'file' | 'tunnel';

/** Longest line an event carries; the rule saw the whole (up to MAX_COMMAND). */
const EVENT_LINE = 4096;

async function report(session: Session, on: On, line: string, matched: Matched[], refusal?: Matched, channel?: number): Promise<void> {
  const text = line.length > EVENT_LINE ? `${line.slice(0, EVENT_LINE)}…` : line;
  for (const m of matched) {
    const refusing = refusal !== undefined && m.rule === refusal.rule && m.action === refusal.action;
    const fields = { rule: m.rule, action: m.action, on, line: text, reason: m.reason, result: refusing ? 'failure' : 'success', ...(channel !== undefined ? { channel } : {}) } as const;
    if (refusal) await session.events.emit('CommandMatched', fields);
    else await session.events.emitOrRefuse('CommandMatched', fields);
  }
}

/**
 * An exec channel's command, before it is sent to the target. Legacy scp (`scp -O`) is an exec of `scp -t DIR` or
 * `scp -f PATH`: it is decided as a command (an allow-list refuses it unless it lists scp, and says so) and, for a
 * download, as the file it names. Throws COMMAND_DENIED or TRANSFER_DENIED.
 */
export async function checkExec(session: Session, command: string): Promise<RuleSet> {
  const rules = await session.access.rules();
  const { policy, context } = rules;
  const v = decideExec(policy, context, command);
  const scp = scpMode(command);
  if (!v.run) {
    await report(session, 'exec', command, v.matched, v.refusal);
    const byList = policy.commands?.some((r) => r.name === v.refusal.rule && r.action === 'allow');
    const hint = scp && byList ? `; legacy scp runs '${command.trim().split(/\s+/).slice(0, 2).join(' ')} …' as a command: an allow-list must list the program scp, or use sftp` : '';
    throw fail('COMMAND_DENIED', v.refusal.reason + hint, v.refusal.rule);
  }
  await report(session, 'exec', command, v.matched);
  if (scp) await checkFile(session, rules, scp.path, scp.op === 'write' ? 'upload' : 'download');
  return rules;
}

/** A file opened over sftp or named by scp, before it is read or written: throws TRANSFER_DENIED. */
export async function checkFile(session: Session, rules: RuleSet, path: string, direction: 'upload' | 'download', channel?: number): Promise<void> {
  const v = decideFile(rules.policy, rules.context, { path, direction });
  const line = `${direction} ${path}`;
  if (!v.allow) {
    await report(session, 'file', line, v.matched, v.refusal, channel);
    throw fail('TRANSFER_DENIED', path, v.refusal.reason, v.refusal.rule);
  }
  await report(session, 'file', line, v.matched, undefined, channel);
}

/**
 * A transfer that ended, with its size: only the rules about a size (`minSize`) are asked again, the others matched at
 * open. It cannot be refused any more, so a deny rule with a size reports like an alert.
 */
export async function checkTransferSize(session: Session, rules: RuleSet, file: { path: string; direction: 'upload' | 'download'; size: number }, channel?: number): Promise<void> {
  const sized = new Set((rules.policy.files ?? []).filter((r) => r.minSize !== undefined).map((r) => r.name));
  const v = decideFile(rules.policy, rules.context, file);
  const matched = v.matched.filter((m) => sized.has(m.rule));
  await report(session, 'file', `${file.direction} ${file.path} (${file.size} bytes)`, matched, undefined, channel);
}

/** Whether any file rule is about this session: only then does an sftp channel need its requests looked at. */
export function hasFileRules(rules: RuleSet): boolean {
  return (rules.policy.files ?? []).some((r) => inScope(r, rules.context));
}

/** A port forward, before the target is asked to connect or listen: throws FORWARD_DENIED. */
export async function checkTunnel(session: Session, tunnel: { kind: 'local-forward' | 'remote-forward'; host: string; port: number }): Promise<void> {
  const { policy, context } = await session.access.rules();
  const v = decideTunnel(policy, context, tunnel);
  const dest = `${tunnel.host}:${tunnel.port}`;
  if (!v.allow) {
    await report(session, 'tunnel', `${tunnel.kind} ${dest}`, v.matched, v.refusal);
    throw fail('FORWARD_DENIED', dest, v.refusal.reason, v.refusal.rule);
  }
  await report(session, 'tunnel', `${tunnel.kind} ${dest}`, v.matched);
}

/**
 * The sftp gate's question, answered at once from the rules read when the channel opened: the refusal line for the
 * client, or undefined. Its events follow; one that cannot be written ends the channel (`failed`).
 */
export function fileCheck(session: Session, rules: RuleSet, channel: number, failed: (err: Error) => void): (path: string, direction: 'upload' | 'download') => string | undefined {
  return (path, direction) => {
    const v = decideFile(rules.policy, rules.context, { path, direction });
    const line = `${direction} ${path}`;
    if (v.allow) {
      if (v.matched.length) report(session, 'file', line, v.matched, undefined, channel).catch(failed);
      return undefined;
    }
    void report(session, 'file', line, v.matched, v.refusal, channel);
    return fail('TRANSFER_DENIED', path, v.refusal.reason, v.refusal.rule).line;
  };
}

/** Rules about a transfer's size are asked again when its file is closed (sftp) or its bytes are all through (scp). */
export function watchTransferSizes(session: Session, rules: RuleSet, recording: ChannelRecording): void {
  if (!(rules.policy.files ?? []).some((r) => r.minSize !== undefined && inScope(r, rules.context))) return;
  recording.onFileOp((op) => {
    if ((op.op !== 'read' && op.op !== 'write') || op.result !== 'ok' || op.bytes === undefined) return;
    const file = { path: op.path, direction: op.op === 'write' ? 'upload' : 'download', size: op.bytes } as const;
    checkTransferSize(session, rules, file, recording.info.channel).catch((err: Error) => recording.fail(err));
  });
}
