// The live page's script, served as /static/console-live.js (the CSP allows no inline script): a player for each
// element with a stream path in data-live, on asciinema-player's websocket driver, without a playback buffer (what
// arrives is shown at once: the view stays within a frame of the session).
export const LIVE_JS = `'use strict';
for (const el of document.querySelectorAll('.player[data-live]')) {
  const url = new URL(el.dataset.live, location.href);
  url.protocol = 'wss:';
  AsciinemaPlayer.create({ driver: 'websocket', url: url.href, bufferTime: 0 }, el, { fit: 'width', autoPlay: true });
}
`;
