// Pages of who may enter: the security-key login step and the Account page (keys of the logged-in account). The
// WebAuthn options travel in a data- attribute as JSON; /static/console-webauthn.js hands them to the browser.
import type { WebAuthnCredentialRecord } from '../store/store.js';
import { html, page } from './html.js';

const SCRIPTS = html`<script src="/static/simplewebauthn-browser.js" defer></script><script src="/static/console-webauthn.js" defer></script>`;

export function keyLoginPage(csrf: string, options: unknown): string {
  return page(
    'Security key',
    html`<form class="login" method="post" action="/login/webauthn" data-webauthn="login" data-options="${JSON.stringify(options)}"><h1>Security key</h1>
<p>Your password was right. Now use your security key: press the button, then touch the key.</p>
<p class="error" hidden></p>
<input type="hidden" name="response" value=""><input type="hidden" name="_csrf" value="${csrf}"><button id="use-key">Use security key</button></form>${SCRIPTS}`,
  );
}

export interface AccountView {
  name: string;
  role: string;
  csrf: string;
  keys: WebAuthnCredentialRecord[];
  /** Registration options, or why no key can be added here (an IP address instead of a DNS name). */
  options: unknown;
  unavailable?: string;
  message?: string;
}

export function accountPage(v: AccountView): string {
  const keys = v.keys.length
    ? html`<table><thead><tr><th>Security key</th><th>Added</th><th>Transports</th><th></th></tr></thead><tbody>
${v.keys.map(
  (k) => html`<tr><td class="key-id">${k.id.slice(0, 16)}…</td><td>${k.createdAt}</td><td>${k.transports.join(', ')}</td>
<td><form method="post" action="/account/webauthn/remove"><input type="hidden" name="id" value="${k.id}"><input type="hidden" name="_csrf" value="${v.csrf}"><button class="remove-key">Remove</button></form></td></tr>`,
)}</tbody></table>`
    : html`<p>No security key yet: the login asks for the password and, if enrolled, a TOTP code.</p>`;
  const add = v.unavailable
    ? html`<p class="error">${v.unavailable}</p>`
    : html`<form method="post" action="/account/webauthn" data-webauthn="register" data-options="${JSON.stringify(v.options)}">
<p class="error" hidden></p><input type="hidden" name="response" value=""><input type="hidden" name="_csrf" value="${v.csrf}">
<button id="add-key">Add a security key</button></form>${SCRIPTS}`;
  return page(
    'Account',
    html`<h1>Account ${v.name}</h1><p>Role: ${v.role}</p>${v.message ? html`<p class="notice">${v.message}</p>` : ''}
<h2>Security keys (WebAuthn)</h2><p>With a key, the login asks for the password and then the key, instead of a TOTP code.</p>${keys}${add}`,
    v,
  );
}

// The console's script for those forms (no inline script under the CSP): the browser's WebAuthn call with the
// server's options, its answer put in the form, the form sent.
export const WEBAUTHN_JS = `'use strict';
for (const form of document.querySelectorAll('form[data-webauthn]')) {
  const error = form.querySelector('.error');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const optionsJSON = JSON.parse(form.dataset.options);
      const answer = form.dataset.webauthn === 'register'
        ? await SimpleWebAuthnBrowser.startRegistration({ optionsJSON })
        : await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON });
      form.elements.response.value = JSON.stringify(answer);
      HTMLFormElement.prototype.submit.call(form);
    } catch (err) {
      error.hidden = false;
      error.textContent = 'The security key did not answer: ' + err.message;
    }
  });
}
`;
