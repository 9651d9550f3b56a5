// Everything known about one session from the index and its recordings on this node: the data of `sessions show` and
// of the web console's session page.
import type { ChannelRecord, FileOpRecord, SessionIndex, SessionRecord } from '../store/store.js';
import { inputOf } from './cast-scan.js';
import { typedLinesAt } from './typed-lines.js';

export interface SessionDetail {
  session: SessionRecord;
  channels: ChannelRecord[];
  typed: { channel: number; lines: string[] }[];
  fileOps: FileOpRecord[];
}

/** The lines a user entered on a terminal, rebuilt from the recorded input (backspace applied). */
export const typedLines = (input: string): string[] => typedLinesAt([{ time: 0, data: input }]).map((l) => l.text);

/** A terminal recording (asciicast), the only kind a player can show. */
export const isCast = (c: Pick<ChannelRecord, 'recordingPath'>): boolean => c.recordingPath.endsWith('.cast');

/** What was typed on a terminal channel; undefined when its recording is not on this node. */
export type InputOf = (ch: ChannelRecord) => Promise<string | undefined>;
const readInput: InputOf = (ch) => inputOf(ch.recordingPath).catch(() => undefined); // not on this node (shipped and pruned)

/** The session's detail; undefined when the index does not know the audit key. `input` may come from a cache. */
export async function sessionDetail(index: Pick<SessionIndex, 'getSession' | 'channelsOf' | 'fileOpsOf'>, auditKey: string, input: InputOf = readInput): Promise<SessionDetail | undefined> {
  const session = await index.getSession(auditKey);
  if (!session) return undefined;
  const channels = await index.channelsOf(auditKey);
  const fileOps = await index.fileOpsOf(auditKey);
  const typed: SessionDetail['typed'] = [];
  for (const ch of channels.filter(isCast)) {
    // Streamed: a recording of a gigabyte is more than one string can hold, and its output is not needed here.
    const text = await input(ch);
    if (text !== undefined) typed.push({ channel: ch.channel, lines: typedLines(text) });
  }
  return { session, channels, typed, fileOps };
}
