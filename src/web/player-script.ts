// The console's own script for the session page, served as /static/console-player.js (the CSP allows no inline
// script). Each recording plays through asciinema-player's segmented source: the server's index gives the whole
// duration and where each segment of about a megabyte starts, and the player loads the segment around a seek point and
// the next one as the current one ends, so a gigabyte recording never sits in the page. Before play, the recording's
// last screen is shown when its keyframes are built (as a poster), else the first. Speed and idle skipping re-create
// the player (idle skipping changes the timeline: the server cuts long pauses in the times it sends).
export const PLAYER_JS = `'use strict';
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
  let s = await replayStatus(box.dataset.status);
  while (!s.scanned && !s.error) {
    status.textContent = 'reading the recording';
    s = (await sleep(300), await replayStatus(box.dataset.status));
  }
  // A short recording's keyframes come within moments: wait for them to show its last screen before play.
  for (let i = 0; i < 10 && !s.done && !s.error && s.segments <= 4; i++) s = (await sleep(150), await replayStatus(box.dataset.status));
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
  };
  let playing = false;
  speed.addEventListener('change', async () => create(await player.getCurrentTime(), playing));
  idle.addEventListener('change', () => create(0, false));
  await create(undefined, false);
  while (!s.done && !s.error) {
    status.textContent = s.scanned ? 'building the replay index: ' + s.built + ' of ' + s.segments + ' segments (seeking further waits for it)' : 'reading the recording';
    await sleep(1000);
    s = await replayStatus(box.dataset.status);
  }
  status.textContent = s.error ? 'replay index: ' + s.error : s.segments + (s.segments === 1 ? ' segment' : ' segments') + ', seek anywhere';
}
for (const box of document.querySelectorAll('.replay[data-replay]')) setup(box);
`;
