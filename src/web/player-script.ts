// The console's own script for the session page, served as /static/console-player.js (the CSP allows no inline
// script): a player for each element with a recording URL in data-cast, showing the recording's last screen before
// play (a poster past any end: the player shows what was output before that time). A link from a search hit
// (?t=SECONDS&channel=N) opens that channel's player at that moment instead, ready to play from there (pauses kept
// as recorded: the player's clock is then the recording's, the one the hit's offset is in).
export const PLAYER_JS = `'use strict';
const at = new URLSearchParams(location.search);
const t = Number(at.get('t'));
for (const el of document.querySelectorAll('.player[data-cast]')) {
  const here = at.has('t') && Number.isFinite(t) && el.dataset.cast.endsWith('/recordings/' + at.get('channel'));
  const opts = here ? { startAt: t, poster: 'npt:' + t } : { idleTimeLimit: 2, poster: 'npt:999999999' };
  el.fumidaiPlayer = AsciinemaPlayer.create({ url: el.dataset.cast }, el, { fit: 'width', preload: true, ...opts });
  if (here) el.scrollIntoView();
}
`;
