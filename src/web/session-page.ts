// A session's own page: its facts, channels (with the recordings' sha256), the commands typed, the file operations, and
// a player for each terminal recording (the player script reads the replay index's URL from a data- attribute).
import type { SessionDetail } from '../playback/session-detail.js';
import { isCast } from '../playback/session-detail.js';
import { html, page, type Html } from './html.js';
import type { AuditEvent } from '../audit/events.js';
import { eventsTable } from './events-table.js';
import { ruleMatches } from '../audit/rule-matches.js';

export const sessionPath = (auditKey: string): string => `/sessions/${encodeURIComponent(auditKey)}`;
export const recordingPath = (auditKey: string, channel: number): string => `${sessionPath(auditKey)}/recordings/${channel}`;

const SPEEDS = ['0.5', '1', '2', '4', '8', '16'];

/** A recording's player (started by the console's script from the data- attributes), its speed and idle skip. */
function replayBox(auditKey: string, channel: number, bytes: number | undefined): Html {
  const base = recordingPath(auditKey, channel);
  return html`<h3>Channel ${channel}</h3><div class="replay" data-replay="${base}/replay" data-status="${base}/replay-status" data-bytes="${bytes ?? ''}">
<div class="replay-controls"><label>Speed <select class="speed">${SPEEDS.map((v) => html`<option value="${v}"${v === '1' ? html` selected` : ''}>${v}×</option>`)}</select></label>
<label><input type="checkbox" class="idle" checked> Skip idle time (pauses over 2 s)</label><span class="replay-status"></span><a href="${base}">Download the .cast</a></div>
<div class="player"></div></div>`;
}

const section = (title: string, body: Html | string, show: boolean) => (show ? html`<section><h2>${title}</h2>${body}</section>` : '');

/** `events`: the session's own events; `actions`: how to watch it live and, for admins, terminate and lock forms (live-page.ts). */
export function sessionPage(d: SessionDetail, who: { name: string; role: string; csrf: string }, events?: { events: AuditEvent[]; more: boolean }, actions: Html | string = ''): string {
  const s = d.session;
  const facts: [string, unknown][] = [
    ['Audit key', s.auditKey],
    ['State', html`<span class="badge ${s.state}">${s.state}</span>${s.reason ? ` ${s.reason}` : ''}`],
    ['User', s.user],
    ['From', `${s.sourceIp}:${s.sourcePort}`],
    ['Target', s.target ?? ''],
    ['Login', s.login ?? ''],
    ['Started', s.startedAt],
    ['Ended', s.endedAt ?? ''],
    ['Exit status', s.exitStatus ?? ''],
    ...(s.node ? ([['Node', s.node]] as [string, unknown][]) : []),
    ['Bytes in / out', `${s.bytesIn ?? 0} / ${s.bytesOut ?? 0}`],
  ];
  const channels = html`<table><thead><tr><th>#</th><th>Kind</th><th>Command</th><th>Exit</th><th>In</th><th>Out</th><th>State</th><th>Recording sha256</th></tr></thead><tbody>
${d.channels.map((c) => html`<tr><td>${c.channel}</td><td>${c.kind}</td><td class="what">${c.command ?? ''}</td><td>${c.exitStatus ?? ''}</td><td>${c.bytesIn}</td>
<td>${c.bytesOut}</td><td><span class="badge ${c.state}">${c.state}</span></td><td class="hash">${c.sha256 ?? ''}</td></tr>`)}</tbody></table>`;
  const players = d.channels.filter(isCast).map((c) => replayBox(s.auditKey, c.channel, c.recordingBytes));
  // A shell left at once has no line typed: said in words, not shown as an empty block.
  const typed = d.typed.map((t) => html`<h3>Channel ${t.channel}</h3>${t.lines.some((l) => l.trim()) ? html`<pre class="typed">${t.lines.join('\n')}</pre>` : html`<p class="nothing-typed">nothing typed</p>`}`);
  const files = html`<table><thead><tr><th>#</th><th>Time</th><th>Op</th><th>Path</th><th>Bytes</th><th>sha256</th><th>Result</th></tr></thead><tbody>
${d.fileOps.map((o) => html`<tr><td>${o.channel}</td><td>${o.at}</td><td>${o.op}</td><td class="what">${o.to ? `${o.path} -> ${o.to}` : o.path}</td>
<td>${o.bytes ?? ''}</td><td class="hash">${o.sha256 ?? ''}</td><td>${o.result}</td></tr>`)}</tbody></table>`;
  const matches = ruleMatches(events?.events ?? []);
  const rules = html`<table class="events"><thead><tr><th>Time</th><th>On</th><th>Rule</th><th>Action</th><th>Result</th><th>Line</th><th>Reason</th></tr></thead><tbody>
${matches.map((m) => html`<tr class="${m.result === 'failure' || m.action === 'alert' ? 'warning' : 'info'}"><td>${m.at}</td><td>${m.on}</td><td>${m.rule}</td><td>${m.action}</td>
<td>${m.result === 'failure' ? 'refused' : 'passed'}</td><td class="what">${m.line}</td><td>${m.reason}</td></tr>`)}</tbody></table>`;
  const body = html`<h1>Session ${s.auditKey}</h1>
<p><a class="evidence" href="${sessionPath(s.auditKey)}/evidence">Download evidence</a> (a self-verifying page, as <code>fumidai evidence export</code> writes it)</p>
<table class="facts">${facts.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</table>
${actions}
${section('Channels', channels, true)}
${section('Replay', html`${players}`, players.length > 0)}
${section('Commands typed', html`${typed}`, typed.length > 0)}
${section('File operations', files, d.fileOps.length > 0)}
${section('Rule matches', rules, matches.length > 0)}
${section('Events', html`${eventsTable(events?.events ?? [])}${events?.more ? html`<p>More: <a href="/audit?auditKey=${s.auditKey}">the audit trail</a></p>` : ''}`, Boolean(events?.events.length))}`;
  return page(`Session ${s.auditKey}`, body, who, players.length > 0);
}

export function notFoundPage(who: { name: string; role: string; csrf: string }): string {
  return page('Not found', html`<h1>Not found</h1><p>No such session on this bastion.</p>`, who);
}
