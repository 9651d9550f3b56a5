import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, html, page } from './html.js';

test('escapeHtml and html``: values are escaped, fragments are not escaped twice', () => {
  assert.equal(escapeHtml(`<script>alert("x")</script>&'`), '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
  assert.equal(escapeHtml(undefined), '');
  const row = html`<td>${'<b>'}</td>`;
  assert.equal(html`<tr>${row}${[html`<i>${'&'}</i>`, '<']}</tr>`.text, '<tr><td>&lt;b&gt;</td><i>&amp;</i>&lt;</tr>');
  assert.doesNotMatch(page('<t>', html`x`), /<t>|<script/);
});

test('page(): the Account link is for console accounts; a single sign-on session has none (its /account answers 403)', () => {
  assert.match(page('t', html`x`, { name: 'ann', role: 'admin', csrf: 'c', via: 'password' }), /href="\/account"/);
  assert.match(page('t', html`x`, { name: 'tok', role: 'admin', csrf: 'c' }), /href="\/account"/);
  assert.doesNotMatch(page('t', html`x`, { name: 'alice', role: 'auditor', csrf: 'c', via: 'sso' }), /href="\/account"/);
});
