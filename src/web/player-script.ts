// The console's own script for the session page, served as /static/console-player.js (the CSP allows no inline
// script): a player for each element with a recording URL in data-cast, showing the recording's last screen before
// play (a poster past any end: the player shows what was output before that time).
export const PLAYER_JS = `'use strict';
for (const el of document.querySelectorAll('.player[data-cast]')) {
  AsciinemaPlayer.create({ url: el.dataset.cast }, el, { fit: 'width', idleTimeLimit: 2, preload: true, poster: 'npt:999999999' });
}
`;
