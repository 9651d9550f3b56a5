import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sftpGate, statusPacket } from './sftp-gate.js';

function packet(type: number, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length + 1);
  return Buffer.concat([len, Buffer.from([type]), body]);
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), Buffer.from(s)]);
const open = (id: number, path: string, pflags: number) => packet(3, Buffer.concat([u32(id), str(path), u32(pflags), u32(0)]));
const data = (id: number, bytes: Buffer) => packet(103, Buffer.concat([u32(id), u32(bytes.length), bytes]));

async function through(gate: ReturnType<typeof sftpGate>, fromClient: Buffer, fromServer: Buffer, step: number): Promise<{ up: Buffer; down: Buffer }> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  gate.input.on('data', (c: Buffer) => up.push(c));
  gate.output.on('data', (c: Buffer) => down.push(c));
  // Split anywhere, interleaved: the refusal must land between whole server packets.
  for (let i = 0; i < Math.max(fromClient.length, fromServer.length); i += step) {
    if (i < fromClient.length) gate.input.write(fromClient.subarray(i, i + step));
    if (i < fromServer.length) gate.output.write(fromServer.subarray(i, i + step));
  }
  await new Promise((r) => setImmediate(r));
  return { up: Buffer.concat(up), down: Buffer.concat(down) };
}

test('sftp gate: a refused OPEN never reaches the target and its STATUS lands between whole replies', async () => {
  const asked: string[] = [];
  const check = (path: string, d: string) => {
    asked.push(`${d} ${path}`);
    return path.includes('secret') ? `no: ${path}` : undefined;
  };
  const init = packet(1, u32(3));
  const allowed = open(1, '/tmp/a', 0x01);
  const refused = open(2, '/etc/secret', 0x01);
  const write = packet(6, Buffer.concat([u32(3), str('h'), Buffer.alloc(8), str('x'.repeat(5000))]));
  const replies = [data(7, Buffer.alloc(3000, 1)), data(8, Buffer.alloc(10, 2))];
  for (const step of [1, 3, 7, 1000, 1 << 20]) {
    asked.length = 0;
    const { up, down } = await through(sftpGate(check), Buffer.concat([init, allowed, refused, write]), Buffer.concat(replies), step);
    assert.ok(up.equals(Buffer.concat([init, allowed, write])), `step ${step}: everything but the refused OPEN, unchanged`);
    assert.deepEqual(asked, ['download /tmp/a', 'download /etc/secret']);
    const status = statusPacket(2, 3, 'no: /etc/secret');
    const where = down.indexOf(status);
    assert.ok(where >= 0, `step ${step}: the refusal is sent`);
    assert.equal(down.length, replies[0]!.length + replies[1]!.length + status.length);
    assert.ok([0, replies[0]!.length, replies[0]!.length + replies[1]!.length].includes(where), `step ${step}: at a packet boundary (${where})`);
  }
});

test('sftp gate: read-write opens are decided both ways; a stream that is not SFTP ends with an error', async () => {
  const asked: string[] = [];
  const gate = sftpGate((p, d) => void asked.push(`${d} ${p}`));
  gate.input.write(open(1, '/x', 0x03));
  assert.deepEqual(asked, ['upload /x', 'download /x']);
  const failed = new Promise<Error>((resolve) => gate.input.once('error', resolve));
  gate.input.write(Buffer.from('SSH-2.0-not sftp\r\n'));
  assert.match((await failed).message, /does not parse as SFTP/);
});
