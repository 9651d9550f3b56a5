// HTML of the console, rendered on the server: every value goes through escapeHtml, and pages carry no inline script
// or style (the CSP forbids both).

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A template tag: interpolated values are escaped unless they are Html already (a fragment built with html``). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Html ? x.text : escapeHtml(x))).join('') : v instanceof Html ? v.text : escapeHtml(v);
    out += part + strings[i + 1]!;
  });
  return new Html(out);
}

/** A page; `player`: it also loads asciinema-player and the console's script that starts it. */
const PLAYER_HEAD = new Html('<link rel="stylesheet" href="/static/asciinema-player.css"><script src="/static/asciinema-player.min.js" defer></script><script src="/static/console-player.js" defer></script>');

/** `who.via` 'sso': a single sign-on session, which has no console account (its Account page answers 403): no link. */
export function page(title: string, body: Html, who?: { name: string; role: string; csrf: string; via?: string | undefined }, player = false): string {
  const account = who?.via === 'sso' ? '' : html`<a href="/account">Account</a>`;
  const bar = who
    ? html`<nav><span class="brand">fumidai</span><a href="/sessions">Sessions</a><a href="/search">Search</a><a href="/audit">Audit trail</a><a href="/requests">Requests</a><a href="/certificate">Certificate</a>${account}<span class="who">${who.name} (${who.role})</span>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${who.csrf}"><button>Log out</button></form></nav>`
    : html`<nav><span class="brand">fumidai</span></nav>`;
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title} · fumidai</title><link rel="stylesheet" href="/static/console.css">${player ? PLAYER_HEAD : ''}</head>
<body>${bar}<main>${body}</main></body></html>`.text}\n`;
}
