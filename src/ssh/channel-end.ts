// Ending a client channel in SSH order. ssh2 sends exit-status at once and EOF/CLOSE after the main stream's queued
// data, but not after stderr's: a last stderr line (the reason a session ended) would be dropped when the client's
// window is full. So: write the line, wait until stdout and stderr are flushed (bounded), then exit, then close.
import type { ServerChannel } from 'ssh2';
import type { Writable } from 'node:stream';

export type ExitInfo = { code: number } | { signal: string; coreDumped: boolean; message: string };

/** A client that never opens its window must not hold the channel for ever (nor delay a revocation's close). */
export const FLUSH_LIMIT_MS = 3000;

function flushed(stream: Writable, limitMs: number): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, limitMs);
    timer.unref();
    function done() {
      clearTimeout(timer);
      stream.off('drain', check).off('close', done);
      resolve();
    }
    function check() {
      if (stream.writableLength === 0) done();
    }
    stream.on('drain', check).on('close', done);
  });
}

/** `flushLimitMs`: how long the line and what is queued before it may take to reach a slow client. */
export async function endChannel(channel: ServerChannel, exit: ExitInfo, line?: string, flushLimitMs = FLUSH_LIMIT_MS): Promise<void> {
  if (!channel.writable) return;
  if (line) channel.stderr.write(line.endsWith('\n') ? line : `${line}\r\n`);
  await Promise.all([flushed(channel, flushLimitMs), flushed(channel.stderr, flushLimitMs)]);
  if (!channel.writable) return;
  if ('code' in exit) channel.exit(exit.code);
  else channel.exit(exit.signal.replace(/^SIG/, ''), exit.coreDumped, exit.message);
  channel.end();
}
