// Audit events as an HTML table (the audit page, a session's page): warnings tinted, a session's key linking to it.
import type { AuditEvent } from '../audit/events.js';
import { html, type Html } from './html.js';

const severity = (e: AuditEvent) => (e.eventCode.endsWith('W') ? 'warning' : 'info');
const detailText = (e: AuditEvent) => [e.reason, e.details && JSON.stringify(e.details)].filter(Boolean).join(' ');

export function eventsTable(events: AuditEvent[]): Html {
  return html`<table class="events"><thead><tr><th>Time</th><th>Event</th><th>Code</th><th>Result</th><th>User</th><th>From</th><th>Session</th><th>Details</th></tr></thead><tbody>
${events.map((e) => html`<tr class="${severity(e)}"><td>${e.eventTime}</td><td>${e.eventName}</td><td>${e.eventCode}</td><td>${e.result}</td><td>${e.user ?? ''}</td>
<td>${e.sourceIp ?? ''}</td><td>${e.sessionId ? html`<a href="/sessions/${encodeURIComponent(e.sessionId)}">${e.sessionId}</a>` : ''}</td><td class="what">${detailText(e)}</td></tr>`)}</tbody></table>`;
}
