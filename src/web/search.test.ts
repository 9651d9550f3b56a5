import { test } from 'node:test';
import assert from 'node:assert/strict';
import { highlight, mergeHits, parseQuery, startTime, MAX_QUERY } from './search.js';

test('parseQuery: trimmed; empty is no query; too long or without a word is an error', () => {
  assert.equal(parseQuery(undefined), undefined);
  assert.equal(parseQuery('   '), undefined);
  assert.deepEqual(parseQuery('  rm -rf  '), { q: 'rm -rf' });
  assert.ok('error' in parseQuery('x'.repeat(MAX_QUERY + 1))!);
  assert.deepEqual(parseQuery('x'.repeat(MAX_QUERY)), { q: 'x'.repeat(MAX_QUERY) });
  assert.ok('error' in parseQuery(' -- * " ')!);
  assert.ok('error' in parseQuery(['a', 'b'])!);
});

test('highlight: every match marked, the store marks dropped around each, brackets of the text kept, the rest unmarked', () => {
  assert.deepEqual(highlight('$ echo [marker-42] done', 'marker-42'), [
    { text: '$ echo ', mark: false },
    { text: 'marker-42', mark: true },
    { text: ' done', mark: false },
  ]);
  assert.deepEqual(highlight('a[0] = [[Secret]]', 'secret'), [
    { text: 'a[0] = [', mark: false },
    { text: 'Secret', mark: true },
    { text: ']', mark: false },
  ]);
  assert.deepEqual(highlight('sudo cat /etc/shadow', 'etc shadow'), [
    { text: 'sudo cat /', mark: false },
    { text: 'etc/shadow', mark: true },
  ]);
  assert.deepEqual(highlight('$ echo [w] x [w]', 'w'), [
    { text: '$ echo ', mark: false },
    { text: 'w', mark: true },
    { text: ' x ', mark: false },
    { text: 'w', mark: true },
  ]);
  assert.deepEqual(highlight('<b>nothing</b>', 'other'), [{ text: '<b>nothing</b>', mark: false }]);
});

test('mergeHits: typed and screen hits together, newest session first then by time; a repeated screen is one hit; bounded', () => {
  const screen = [
    { auditKey: '20261201T100000Z-a-01', channel: 0, offset: 5, snippet: 'x [w]' },
    { auditKey: '20261201T100000Z-a-01', channel: 0, offset: 6, snippet: 'x  [w]' },
    { auditKey: '20261202T100000Z-b-02', channel: 1, offset: 9, snippet: '[w]' },
  ];
  const typed = [{ auditKey: '20261201T100000Z-a-01', channel: 0, offset: 4.5, snippet: 'echo [w]' }];
  const { hits, more } = mergeHits(screen, typed);
  assert.deepEqual(hits.map((h) => [h.auditKey.slice(-2), h.offset, h.source, h.times]), [['02', 9, 'screen', 1], ['01', 4.5, 'typed', 1], ['01', 5, 'screen', 2]]);
  assert.equal(more, false);
  const bounded = mergeHits(screen, typed, 2);
  assert.equal(bounded.hits.length, 2);
  assert.equal(bounded.more, true);
});

test('startTime: to the millisecond, never negative', () => {
  assert.equal(startTime(3.961234), '3.961');
  assert.equal(startTime(-1), '0.000');
});
