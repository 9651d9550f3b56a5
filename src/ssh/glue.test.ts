import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { setImmediate as turn } from 'node:timers/promises';
import { coalesceSocketWrites } from './glue.js';

test('coalesceSocketWrites: writes made in one turn leave in one gathered write, in order; later turns write again', async () => {
  const received: Buffer[] = [];
  const server = createServer((s) => s.on('data', (d) => received.push(d)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sock = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(sock, 'connect');
  const gathered: number[] = [];
  const writev = (sock as unknown as { _writev: (chunks: { chunk: Buffer }[], cb: () => void) => void })._writev;
  (sock as unknown as { _writev: typeof writev })._writev = function (chunks, cb) {
    gathered.push(chunks.length);
    return writev.call(this, chunks, cb);
  };
  coalesceSocketWrites({ _sock: sock } as never);
  sock.write('one ');
  sock.write('two ');
  sock.write('three ');
  await turn();
  sock.write('four');
  await turn();
  sock.end();
  await once(sock, 'close');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(Buffer.concat(received).toString(), 'one two three four');
  assert.deepEqual(gathered, [3], 'the three writes of the first turn went out together; the lone one on its own');
  server.close();
});

test('coalesceSocketWrites: a connection over a channel (no socket) is left alone', () => {
  const write = () => true;
  const conn = { _sock: { write, cork: () => undefined, uncork: () => undefined } };
  coalesceSocketWrites(conn as never);
  assert.equal(conn._sock.write, write);
});
