// The console's search, audit trail and report pages, rendered on the server: every value escaped through html``.
import type { AccessReport } from '../audit/access-report.js';
import { EVENT_CODES, type AuditEvent } from '../audit/events.js';
import { eventsTable } from './events-table.js';
import type { SessionRecord } from '../store/store.js';
import type { EventFilter } from './event-filter.js';
import { html, page } from './html.js';
import { highlight, MAX_QUERY, startTime, type Hit } from './search.js';
import { sessionPath } from './session-page.js';
import type { Anchored, TrailVerdict } from './trail-status.js';

type Who = { name: string; role: string; csrf: string; via?: string | undefined };

/** Where a hit plays: the session page with the player of its channel at its time. */
export const hitPath = (h: Pick<Hit, 'auditKey' | 'channel' | 'offset'>): string => `${sessionPath(h.auditKey)}?t=${startTime(h.offset)}&channel=${h.channel}`;

export function searchPage(who: Who, q: string, r?: { hits: (Hit & { session?: SessionRecord })[]; more: boolean }, error?: string): string {
  const form = html`<form class="filters" method="get" action="/search"><input name="q" value="${q}" maxlength="${MAX_QUERY}" placeholder="words on screen or typed" autofocus>
<button>Search</button></form>${error ? html`<p class="error">${error}</p>` : ''}`;
  const rows = (r?.hits ?? []).map((h) => {
    const s = h.session;
    const line = highlight(h.snippet.replace(/\s+/g, ' '), q).map((p) => (p.mark ? html`<mark>${p.text}</mark>` : html`${p.text}`));
    return html`<tr><td>${s?.startedAt ?? ''}</td><td>${s?.user ?? ''}</td><td>${s ? `${s.login ?? '?'}@${s.target ?? '?'}` : ''}</td><td>${h.source}</td>
<td class="what hit">${line}</td><td>${startTime(h.offset)}s</td><td><a class="hit-link" href="${hitPath(h)}">${h.auditKey} #${h.channel}</a></td></tr>`;
  });
  const results = r
    ? html`<p>${r.hits.length} hit${r.hits.length === 1 ? '' : 's'}${r.more ? html` <span class="more">(more matched: only the first ${r.hits.length} are shown; search for more words)</span>` : ''}</p>
<table><thead><tr><th>Started</th><th>User</th><th>Target</th><th>Where</th><th>Line</th><th>At</th><th>Session</th></tr></thead><tbody>${rows}</tbody></table>`
    : '';
  return page('Search', html`<h1>Search</h1>${form}${results}`, who);
}

export function auditPage(who: Who, f: EventFilter, r: { events: AuditEvent[]; next?: string }, check: TrailVerdict | undefined, anchored: Anchored[], error?: string): string {
  const v = (k: keyof EventFilter) => String(f[k] ?? '');
  const types = Object.keys(EVENT_CODES).sort();
  const form = html`<form class="filters" method="get" action="/audit">
<label>Type <select name="type"><option value="">any</option>${types.map((t) => html`<option${t === f.type ? html` selected` : ''}>${t}</option>`)}</select></label>
<label>User <input name="user" value="${v('user')}" maxlength="64"></label>
<label>Audit key <input name="auditKey" value="${v('auditKey')}" size="34"></label>
<label>Since <input name="since" value="${v('since')}" placeholder="2026-12-01"></label>
<label>Until <input name="until" value="${v('until')}" placeholder="2026-12-31"></label>
<label>Severity <select name="severity"><option value="">any</option>${['info', 'warning'].map((s) => html`<option${s === f.severity ? html` selected` : ''}>${s}</option>`)}</select></label>
<button>Filter</button></form>${error ? html`<p class="error">${error}</p>` : ''}`;
  const verdict = check
    ? html`<p class="verdict ${check.intact ? 'intact' : 'broken'}">Chain verification: ${check.intact ? 'PASSED' : 'FAILED'} at ${check.at} (${check.ms} ms)</p><ul>${check.lines.map((l) => html`<li>${l}</li>`)}</ul>`
    : html`<p class="verdict">Not verified since the console started.</p>`;
  const verify = html`<form method="post" action="/audit/verify"><input type="hidden" name="_csrf" value="${who.csrf}"><button id="verify-now">Verify now</button></form>`;
  const anchors = anchored.length
    ? html`<p>Newest checkpoints anchored in the bucket:</p><ul class="anchors">${anchored.map((a) => html`<li>${a.chain}: seq ${a.seq}, sent ${a.shippedAt} (${a.objectKey})</li>`)}</ul>`
    : html`<p>No checkpoint anchored in a bucket: events could be cut or rewritten on this host without a trace elsewhere (configure shipping.bucket).</p>`;
  const query = new URLSearchParams(Object.entries({ ...f, before: r.next ?? '' }).filter(([k, x]) => k !== 'limit' && x !== undefined && x !== '').map(([k, x]) => [k, String(x)]));
  const next = r.next ? html`<p><a class="next" href="/audit?${query.toString()}">Older events</a></p>` : '';
  return page('Audit trail', html`<h1>Audit trail</h1><section>${verdict}${verify}${anchors}</section><h2>Events (${r.events.length}${r.next ? '+' : ''})</h2>${form}${eventsTable(r.events)}${next}`, who);
}

export function reportPage(who: Who, since: string, until: string, r: AccessReport): string {
  const q = (format: string) => `/report/download?${new URLSearchParams({ since, until, format }).toString()}`;
  const form = html`<form class="filters" method="get" action="/report"><label>Since <input name="since" value="${since}"></label>
<label>Until <input name="until" value="${until}"></label><button>Show</button></form>
<p>Download: <a href="${q('md')}">Markdown</a> · <a href="${q('html')}">HTML</a> (the same as <code>fumidai report --since ${since} --until ${until}</code>)</p>`;
  const sections = r.sections.map((s) => html`<h2>${s.title}</h2>${s.rows.length === 0 ? html`<p>none</p>` : html`<table><thead><tr>${s.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
<tbody>${s.rows.map((row) => html`<tr>${row.map((c) => html`<td class="what">${c}</td>`)}</tr>`)}</tbody></table>`}`);
  const body = html`<h1>${r.title}</h1>${form}<p class="verdict ${r.intact ? 'intact' : 'broken'}">${r.verification[0]}</p><ul>${r.verification.slice(1).map((l) => html`<li>${l}</li>`)}</ul>${sections}`;
  return page('Report', body, who);
}
