// The console's pages, as HTML: the login steps and the sessions list (the data of `fumidai sessions list`).
import type { SessionRecord } from '../store/store.js';
import { html, page } from './html.js';
import { sessionPath } from './session-page.js';

export interface SessionRow extends SessionRecord {
  kind: string;
  what: string;
}

export function loginPage(csrf: string, error?: string): string {
  return page('Log in', html`<form class="login" method="post" action="/login"><h1>Web console</h1>
${error ? html`<p class="error">${error}</p>` : ''}
<label for="name">Account</label><input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="_csrf" value="${csrf}"><button>Next</button></form>`);
}

export function totpPage(csrf: string, error?: string): string {
  return page('Verification code', html`<form class="login" method="post" action="/login/totp"><h1>Verification code</h1>
${error ? html`<p class="error">${error}</p>` : ''}
<label for="code">Code from your authenticator app</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus>
<input type="hidden" name="_csrf" value="${csrf}"><button>Log in</button></form>`);
}

/** Live sessions first, then the newest; the order `sessions list` uses within each group. */
export function orderSessions<T extends Pick<SessionRecord, 'state' | 'startedAt'>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => Number(b.state === 'live') - Number(a.state === 'live') || (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export function sessionsPage(rows: SessionRow[], who: { name: string; role: string; csrf: string }): string {
  const body = html`<h1>Sessions (${rows.length})</h1><table><thead><tr><th>State</th><th>Started</th><th>Ended</th><th>User</th>
<th>From</th><th>Target</th><th>Login</th><th>Kind</th><th>What</th><th>Exit</th><th>Audit key</th></tr></thead><tbody>
${rows.map((s) => html`<tr class="${s.state}"><td><span class="badge ${s.state}">${s.state}</span></td><td>${s.startedAt}</td><td>${s.endedAt ?? ''}</td>
<td>${s.user}</td><td>${s.sourceIp}:${s.sourcePort}</td><td>${s.target ?? ''}</td><td>${s.login ?? ''}</td><td>${s.kind}</td>
<td class="what">${s.what}</td><td>${s.exitStatus ?? ''}</td><td><a href="${sessionPath(s.auditKey)}">${s.auditKey}</a></td></tr>`)}
</tbody></table>`;
  return page('Sessions', body, who);
}
