// The console's own script for the session page, served as /static/console-player.js (the CSP allows no inline
// script). Each recording plays through asciinema-player's segmented source: the server's index gives the whole
// duration and where each segment of about a megabyte starts, and the player loads the segment around a seek point and
// the next one as the current one ends, so a gigabyte recording never sits in the page. Before play, a short
// recording's last screen is shown (as a poster), a long one's first. Speed and idle skipping re-create
// the player (idle skipping changes the timeline: the server cuts long pauses in the times it sends). A link from a
// search hit (?t=SECONDS&channel=N) opens that channel's player at that moment, idle skipping off (the player's clock
// is then the recording's, the one the hit's offset is in).
export const PLAYER_JS = `'use strict';
const at = new URLSearchParams(location.search);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function replayStatus(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  return r.ok ? r.json() : { error: 'status ' + r.status };
}
async function setup(box) {
  const el = box.querySelector('.player');
  const speed = box.querySelector('select.speed');
  const idle = box.querySelector('input.idle');
  const status = box.querySelector('.replay-status');
  let player;
  // A short recording's index comes within moments: wait for it to show the last screen before play. A long one's
  // player starts at once (its first segment needs no keyframe), and its status is shown as the index is built.
  const bytes = Number(box.dataset.bytes);
  let s = { scanned: false, done: false };
  if (bytes > 0 && bytes <= 2 * 1024 * 1024) {
    for (let i = 0; i < 12 && !s.done && !s.error; i++) s = (i && await sleep(150), await replayStatus(box.dataset.status));
  }
  const create = async (startAt, autoPlay) => {
    if (player) player.dispose();
    el.textContent = '';
    const url = box.dataset.replay + '?idle=' + (idle.checked ? 1 : 0);
    const poster = startAt === undefined && s.done ? 'npt:999999999' : 'npt:' + (startAt || 0);
    player = AsciinemaPlayer.create({ url, format: 'segmented' }, el, { fit: 'width', preload: true, speed: Number(speed.value), startAt: startAt || 0, autoPlay, poster });
    playing = autoPlay;
    player.addEventListener('play', () => { playing = true; });
    player.addEventListener('pause', () => { playing = false; });
    player.addEventListener('ended', () => { playing = false; });
    box.player = player;
    el.fumidaiPlayer = player;
  };
  let playing = false;
  const t = Number(at.get('t'));
  const here = at.has('t') && Number.isFinite(t) && box.dataset.replay.endsWith('/recordings/' + at.get('channel') + '/replay');
  if (here) idle.checked = false;
  speed.addEventListener('change', async () => create(await player.getCurrentTime(), playing));
  idle.addEventListener('change', () => create(0, false));
  await create(here ? t : undefined, false);
  if (here) box.scrollIntoView();
  while (!s.done && !s.error) {
    s = await replayStatus(box.dataset.status);
    status.textContent = s.scanned ? 'building the replay index: ' + s.built + ' of ' + s.segments + ' segments (seeking further waits for it)' : 'reading the recording';
    if (!s.done) await sleep(1000);
  }
  status.textContent = s.error ? 'replay index: ' + s.error : s.segments + (s.segments === 1 ? ' segment' : ' segments') + ', seek anywhere';
}
for (const box of document.querySelectorAll('.replay[data-replay]')) setup(box);
`;
