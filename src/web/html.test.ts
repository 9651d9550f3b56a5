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
