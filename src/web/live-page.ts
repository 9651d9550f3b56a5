// The live view's page (a player per terminal channel of the session that is live on this node) and the actions a
// session's page shows: the way to its live view, or the node that holds it; for admins, terminate and lock forms.
import type { SessionRecord } from '../store/store.js';
import { Html, html, page } from './html.js';
import { sessionPath } from './session-page.js';

export const livePath = (auditKey: string): string => `${sessionPath(auditKey)}/live`;
export const streamPath = (auditKey: string, channel: number): string => `${livePath(auditKey)}/${channel}/ws`;

/** Where a session can be watched: its terminal channels live on this node, or the other node that holds it. */
export interface LiveInfo {
  channels: number[];
  /** The node that runs it, when that is not this one (a shared store). */
  elsewhere?: string;
  /** Whether its SSH user is locked (disabled) now. */
  userLocked: boolean;
}

type Who = { name: string; role: string; csrf: string; via?: string | undefined };

function terminateForm(s: SessionRecord, csrf: string): Html {
  return html`<form class="action" method="post" action="${sessionPath(s.auditKey)}/terminate">
<label for="terminate-reason">Reason (the user sees it)</label><input id="terminate-reason" name="reason" required maxlength="300">
<input type="hidden" name="_csrf" value="${csrf}"><button class="danger">Terminate session</button></form>`;
}

function lockForm(s: SessionRecord, locked: boolean, csrf: string): Html {
  const action = `/users/${encodeURIComponent(s.user)}/${locked ? 'unlock' : 'lock'}`;
  return html`<form class="action" method="post" action="${action}">
<label for="lock-reason">${locked ? `${s.user} is locked. Reason to unlock` : `Reason to lock ${s.user} (their live sessions end)`}</label>
<input id="lock-reason" name="reason" maxlength="300"${locked ? '' : new Html(' required')}>
<input type="hidden" name="back" value="${sessionPath(s.auditKey)}"><input type="hidden" name="_csrf" value="${csrf}">
<button class="danger">${locked ? 'Unlock user' : 'Lock user'}</button></form>`;
}

/** The part of a session's page about watching and ending it. */
export function sessionActions(s: SessionRecord, info: LiveInfo, who: Who, onLivePage = false): Html {
  const live = s.state === 'live';
  const where = !live
    ? ''
    : info.elsewhere
      ? html`<p class="note">This session runs on node <b>${info.elsewhere}</b>: watch it live from that node's console. Terminate works from any node.</p>`
      : info.channels.length === 0
        ? html`<p class="note">No terminal channel of this session to watch live.</p>`
        : onLivePage
          ? ''
          : html`<p><a class="button" id="watch-live" href="${livePath(s.auditKey)}">Watch live</a></p>`;
  const forms = who.role === 'admin' ? html`${live ? terminateForm(s, who.csrf) : ''}${lockForm(s, info.userLocked, who.csrf)}` : '';
  return html`<section class="actions">${where}${forms}</section>`;
}

export function livePage(s: SessionRecord, info: LiveInfo, who: Who): string {
  const here = s.state === 'live' && !info.elsewhere;
  const players = here ? info.channels.map((c) => html`<h3>Channel ${c}</h3><div class="player" data-live="${streamPath(s.auditKey, c)}"></div>`) : [];
  const body = html`<h1>Live: session <a href="${sessionPath(s.auditKey)}">${s.auditKey}</a></h1>
<p>${s.user} from ${s.sourceIp} to ${s.login ?? '?'}@${s.target ?? '?'}, since ${s.startedAt}. <span class="badge ${s.state}">${s.state}</span></p>
${s.state === 'live' ? '' : html`<p class="note">The session is not live any more: its page has the replay.</p>`}
${players}${sessionActions(s, info, who, true)}${players.length ? new Html('<script src="/static/console-live.js" defer></script>') : ''}`;
  return page(`Live ${s.auditKey}`, body, who, players.length > 0);
}
