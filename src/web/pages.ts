// The console's pages, as HTML: the login steps and the sessions list (the data of `fumidai sessions list`), with its
// filter form.
import type { SessionRecord } from '../store/store.js';
import { html, page, type Html } from './html.js';
import type { ListParams } from './list-query.js';
import { sessionPath } from './session-page.js';

export interface SessionRow extends SessionRecord {
  kind: string;
  what: string;
}

/**
 * `sso`: web.sso is set, so a second way in is offered: a link, not a form (the CSP's form-action would stop a form's
 * redirect to the IdP); the callback is bound to this browser by its own cookie, not by a CSRF token.
 */
export function loginPage(csrf: string, error?: string, sso = false, next?: string): string {
  return page('Log in', html`<form class="login" method="post" action="/login"><h1>Web console</h1>
${error ? html`<p class="error">${error}</p>` : ''}
<label for="name">Account</label><input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="_csrf" value="${csrf}"><button>Next</button></form>
${sso ? html`<section class="login sso"><a id="sso" class="button" href="/login/sso${next ? `?next=${encodeURIComponent(next)}` : ''}">Sign in with single sign-on</a></section>` : ''}`);
}

export function totpPage(csrf: string, error?: string): string {
  return page('Verification code', html`<form class="login" method="post" action="/login/totp"><h1>Verification code</h1>
${error ? html`<p class="error">${error}</p>` : ''}
<label for="code">Code from your authenticator app</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required autofocus>
<input type="hidden" name="_csrf" value="${csrf}"><button>Log in</button></form>`);
}

const KIND_OPTIONS = ['', 'shell', 'exec', 'sftp', 'tunnel'];
const STATE_OPTIONS = ['', 'live', 'closed', 'interrupted'];

/** The filter form: a GET to this page, so a filtered list is a link like any other (no script). */
function filterForm(p: ListParams): Html {
  const text = (name: keyof ListParams, label: string, type = 'text') =>
    html`<label>${label}<input name="${name}" type="${type}" value="${p[name] ?? ''}"></label>`;
  const select = (name: 'kind' | 'state', label: string, options: string[]) =>
    html`<label>${label}<select name="${name}">${options.map((o) => html`<option value="${o}"${o === (p[name] ?? '') ? html` selected` : ''}>${o || 'any'}</option>`)}</select></label>`;
  return html`<form class="filters" method="get" action="/sessions">${text('user', 'User')}${text('target', 'Target')}${text('login', 'Login')}${text('source', 'From address')}
${text('from', 'Open after (UTC)', 'datetime-local')}${text('to', 'Open before (UTC)', 'datetime-local')}${select('kind', 'Kind', KIND_OPTIONS)}${select('state', 'State', STATE_OPTIONS)}
${text('limit', 'Per page', 'number')}<button>Filter</button><a href="/sessions">Clear</a></form>`;
}

/** A page of the list (live first, then the newest: the store's order), with a link to the next page if there is one. */
export function sessionsPage(rows: SessionRow[], params: ListParams, who: { name: string; role: string; csrf: string; via?: string | undefined }, more: { next?: string; error?: string } = {}): string {
  const body = html`<h1>Sessions</h1>${filterForm(params)}${more.error ? html`<p class="error">${more.error}</p>` : ''}
<p class="count">${rows.length} on this page${params.after ? html` · <a href="/sessions">first page</a>` : ''}${more.next ? html` · <a class="next" href="${more.next}">next page</a>` : ''}</p>
<table><thead><tr><th>State</th><th>Started</th><th>Ended</th><th>User</th>
<th>From</th><th>Target</th><th>Login</th><th>Kind</th><th>What</th><th>Exit</th><th>Audit key</th></tr></thead><tbody>
${rows.map((s) => html`<tr class="${s.state}"><td><span class="badge ${s.state}">${s.state}</span></td><td>${s.startedAt}</td><td>${s.endedAt ?? ''}</td>
<td>${s.user}</td><td>${s.sourceIp}:${s.sourcePort}</td><td>${s.target ?? ''}</td><td>${s.login ?? ''}</td><td>${s.kind}</td>
<td class="what">${s.what}</td><td>${s.exitStatus ?? ''}</td><td><a href="${sessionPath(s.auditKey)}">${s.auditKey}</a></td></tr>`)}
</tbody></table>${more.next ? html`<p><a class="next" href="${more.next}">Next page</a></p>` : ''}`;
  return page('Sessions', body, who);
}
