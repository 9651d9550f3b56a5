import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { adoptPiece, nextPiece, piecesInOrder } from './segment-pieces.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const buf = (s: string) => Buffer.from(s);

test('segment pieces: only the whole lines added since the last piece go; a partial last line waits', () => {
  assert.deepEqual(nextPiece(buf('a\nb\nc'), {}), { kind: 'piece', offset: 0, bytes: buf('a\nb\n'), end: 4, sha256: sha('a\nb\n') });
  const shipped = { size: 4, sha256: sha('a\nb\n'), pieces: true };
  assert.deepEqual(nextPiece(buf('a\nb\nc'), shipped), { kind: 'none' });
  assert.deepEqual(nextPiece(buf('a\nb\n'), shipped), { kind: 'none' });
  assert.deepEqual(nextPiece(buf('a\nb\nc\nd'), shipped), { kind: 'piece', offset: 4, bytes: buf('c\n'), end: 6, sha256: sha('a\nb\nc\n') });
  assert.deepEqual(nextPiece(buf('no newline yet'), {}), { kind: 'none' });
});

test('segment pieces: a file changed or cut below what was shipped is refused, whatever follows', () => {
  const shipped = { size: 4, sha256: sha('a\nb\n'), pieces: true };
  assert.equal(nextPiece(buf('a\nB\nc\n'), shipped).kind, 'changed');
  assert.match((nextPiece(buf('a\nB\nc\n'), shipped) as { why: string }).why, /its first 4 bytes are not those shipped/);
  assert.deepEqual(nextPiece(buf('a\n'), shipped), { kind: 'changed', why: 'it is 2 bytes, shorter than the 4 shipped' });
  assert.deepEqual(nextPiece(buf(''), shipped), { kind: 'changed', why: 'it is 0 bytes, shorter than the 4 shipped' });
});

test('segment pieces: what an earlier version uploaded whole is checked, then sent again as pieces from offset 0', () => {
  const legacy = { size: 4, sha256: sha('a\nb\n'), pieces: false };
  assert.deepEqual(nextPiece(buf('a\nb\nc\n'), legacy), { kind: 'piece', offset: 0, bytes: buf('a\nb\nc\n'), end: 6, sha256: sha('a\nb\nc\n') });
  assert.deepEqual(nextPiece(buf('a\nb\n'), legacy), { kind: 'piece', offset: 0, bytes: buf('a\nb\n'), end: 4, sha256: sha('a\nb\n') });
  assert.equal(nextPiece(buf('x\nb\nc\n'), legacy).kind, 'changed', 'an edit made before the upgrade is not laundered into the pieces');
});

test('segment pieces: a piece already in the bucket is adopted when it is the file’s own bytes up to a line end', () => {
  const file = buf('a\nb\nc\nd\n');
  assert.deepEqual(adoptPiece(file, 2, buf('b\nc\nd\n')), { end: 8, sha256: sha('a\nb\nc\nd\n') }, 'the same bytes: a lost answer');
  assert.deepEqual(adoptPiece(file, 2, buf('b\n')), { end: 4, sha256: sha('a\nb\n') }, 'fewer: the file grew since');
  assert.equal(adoptPiece(file, 2, buf('B\n')), undefined, 'other bytes');
  assert.equal(adoptPiece(file, 2, buf('b\nc')), undefined, 'not ending on a line');
  assert.equal(adoptPiece(file, 2, buf('b\nc\nd\ne\n')), undefined, 'more than the file holds');
  assert.equal(adoptPiece(file, 2, buf('')), undefined);
});

test('segment pieces: read back in byte order; a gap or an overlap is one line naming the segment', () => {
  const p = (offset: number, size: number) => ({ key: `k${offset}`, offset, size });
  assert.deepEqual(piecesInOrder('n1/2026-11-25.jsonl', [p(10, 5), p(0, 10), p(15, 1)]), { keys: ['k0', 'k10', 'k15'] });
  assert.deepEqual(piecesInOrder('n1/2026-11-25.jsonl', []), { keys: [] });
  assert.deepEqual(piecesInOrder('n1/2026-11-25.jsonl', [p(0, 10), p(15, 1)]), {
    keys: ['k0'],
    problem: 'n1/2026-11-25.jsonl: bytes 10 to 15 are missing from the bucket (no piece at offset 10)',
  });
  assert.deepEqual(piecesInOrder('n1/2026-11-25.jsonl', [p(4, 6)]), { keys: [], problem: 'n1/2026-11-25.jsonl: bytes 0 to 4 are missing from the bucket (no piece at offset 0)' });
  assert.deepEqual(piecesInOrder('n1/2026-11-25.jsonl', [p(0, 10), p(8, 4)]), {
    keys: ['k0'],
    problem: 'n1/2026-11-25.jsonl: the piece at offset 8 overlaps the bytes before it (up to 10)',
  });
});
