// The Requests page: pending and recent just-in-time access requests with their reasons; for a session that acts as
// an SSH user (signed in through the IdP), the form to ask and the buttons to approve or deny others' requests.
import type { AccessRequestRecord } from '../store/store.js';
import { spoken } from '../auth/access-requests.js';
import { html, page, type Html } from './html.js';

export interface RequestsView {
  rows: AccessRequestRecord[];
  who: { name: string; role: string; csrf: string; via?: string | undefined };
  /** The SSH user this session acts as; undefined: it reads only (readOnly says why). */
  actor?: string;
  readOnly?: string;
  message?: string;
  error?: string;
  now?: number;
}

function stateOf(r: AccessRequestRecord, now: number): string {
  if (r.state === 'approved') return r.grantedUntil && Date.parse(r.grantedUntil) <= now ? `approved, ended ${r.grantedUntil}` : `approved until ${r.grantedUntil}`;
  if (r.state === 'denied') return `denied by ${r.decidedBy}: ${r.decisionReason}`;
  return Date.parse(r.pendingUntil) <= now ? `expired unapproved at ${r.pendingUntil}` : `pending until ${r.pendingUntil}`;
}

function actions(r: AccessRequestRecord, v: RequestsView, now: number): Html | string {
  if (!v.actor || r.state !== 'pending' || r.user === v.actor || Date.parse(r.pendingUntil) <= now) return '';
  return html`<form class="action" method="post" action="/requests/${r.id}/approve"><input type="hidden" name="_csrf" value="${v.who.csrf}"><button class="approve">Approve</button></form>
<form class="action" method="post" action="/requests/${r.id}/deny"><input type="hidden" name="_csrf" value="${v.who.csrf}"><input name="reason" placeholder="reason" required maxlength="300"><button class="deny">Deny</button></form>`;
}

export function requestsPage(v: RequestsView): string {
  const now = v.now ?? Date.now();
  const ask = v.actor
    ? html`<form class="filters" method="post" action="/requests"><input type="hidden" name="_csrf" value="${v.who.csrf}">
<label>Target<input name="target" required></label><label>Login<input name="login" placeholder="the target's default"></label>
<label>For<input name="for" required placeholder="2h"></label><label>Reason<input name="reason" required maxlength="300"></label><button>Ask for access</button></form>`
    : html`<p class="count">${v.readOnly ?? ''}</p>`;
  const body = html`<h1>Access requests</h1>${v.message ? html`<p class="notice">${v.message}</p>` : ''}${v.error ? html`<p class="error">${v.error}</p>` : ''}
${ask}<table><thead><tr><th>#</th><th>Requester</th><th>Access</th><th>For</th><th>State</th><th>Approvals</th><th>Reason</th><th></th></tr></thead><tbody>
${v.rows.map((r) => html`<tr class="${r.state}" id="request-${r.id}"><td>${r.id}</td><td>${r.user}</td><td>${r.login}@${r.target}</td><td>${spoken(r.forSec)}</td>
<td>${stateOf(r, now)}</td><td>${r.approvers.join(', ')}</td><td class="what">${r.reason}</td><td>${actions(r, v, now)}</td></tr>`)}
</tbody></table>`;
  return page('Access requests', body, v.who);
}

/** The page a signed link opens: the request, and one CSRF-protected button (the link alone decides nothing). */
export function confirmPage(r: AccessRequestRecord, action: 'approve' | 'deny', who: { name: string; role: string; csrf: string; via?: string | undefined }, now = Date.now()): string {
  const verb = action === 'approve' ? 'Approve' : 'Deny';
  // A request decided or expired meanwhile: said so, with no button (the desk would refuse it anyway).
  if (r.state !== 'pending' || Date.parse(r.pendingUntil) <= now) {
    return page(`Request #${r.id}`, html`<h1>Access request #${r.id}</h1><p class="error">Nothing to decide: ${stateOf(r, now)}.</p><p><a href="/requests">All requests</a></p>`, who);
  }
  const body = html`<h1>${verb} access request #${r.id}?</h1>
<p>${r.user} asks for ${r.login}@${r.target} for ${spoken(r.forSec)}, pending until ${r.pendingUntil}.</p><p>Reason: <span class="what">${r.reason}</span></p>
<form class="action" method="post" action="/requests/${r.id}/${action}"><input type="hidden" name="_csrf" value="${who.csrf}">
${action === 'deny' ? html`<label>Why <input name="reason" required maxlength="300"></label> ` : ''}<button id="confirm" class="${action}">${verb} as ${who.name}</button></form>
<p><a href="/requests">All requests</a></p>`;
  return page(`${verb} request #${r.id}`, body, who);
}
