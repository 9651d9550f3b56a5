// What one live viewer costs a busy session: a pty session through fumidai prints BENCH_LIVE_MB of base64 (a
// terminal's kind of data), alternately with no viewer and with one websocket viewer of the web console connected (a
// node client reading ALiS frames as fast as they come), BENCH_LIVE_REPS pairs. Measured: fumidai's process CPU
// (user + system, worker threads included) from the session's start to the client's exit, the same steps in both
// (the console is asked for the session either way). Prints each run and the ratio of the medians.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { Bastion } from '../test/helpers/fumidai.js';
import { consoleBase } from '../test/helpers/web-console.js';
import type { Target } from '../test/helpers/sshd.js';
import { cpuSeconds, fmt, stats } from './lib/measure.js';
import { ScreenReader } from '../src/playback/live-screen.js';

const MB = Number(process.env.BENCH_LIVE_MB ?? 100);
const REPS = Number(process.env.BENCH_LIVE_REPS ?? 3);
const PASSWORD = 'bench password for the console';

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function https(base: string, ca: Buffer, path: string, opts: { method?: string; cookie?: string; form?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.form ? new URLSearchParams(opts.form).toString() : undefined;
    const headers = { ...(opts.cookie ? { cookie: opts.cookie } : {}), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) };
    const req = request(`${base}${path}`, { method: opts.method ?? 'GET', ca, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const cookiesOf = (a: Answer) => ((a.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!).join('; ');

/** A viewer reading everything; resolves with the bytes it got and how its stream ended. */
type Watched = { bytes: number; code: number; screens: number; outputs: number };
function watch(base: string, ca: Buffer, cookie: string, auditKey: string): Promise<{ ws: WebSocket; done: Promise<Watched> } | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace('https:', 'wss:')}/sessions/${auditKey}/live/1/ws`, ['v1.alis'], { ca, headers: { cookie, origin: base } });
    let bytes = 0;
    let screens = 0;
    let outputs = 0;
    let opened = false;
    const done = new Promise<Watched>((end) => ws.on('close', (code) => (opened ? end({ bytes, code, screens, outputs }) : resolve(undefined))));
    ws.on('message', (data) => {
      bytes += data.length;
      if (data[0] === 0x01) screens++; // ALiS reset: a whole screen
      else if (data[0] === 0x6f) outputs++;
      if (!opened) {
        opened = true;
        resolve({ ws, done });
      }
    });
    ws.on('error', () => undefined);
  });
}

async function main(): Promise<void> {
  const bastion = new Bastion();
  let target: Target | undefined;
  try {
    await bastion.init();
    bastion.webListen = '127.0.0.1:0';
    const started = await bastion.startWith('bench', 'web1');
    target = started.target;
    const pwFile = join(bastion.dir, 'password');
    writeFileSync(pwFile, `${PASSWORD}\n`);
    await bastion.cli(['web', 'user', 'add', 'watcher', '--role', 'auditor', '--password-file', pwFile]);
    const base = await consoleBase(bastion);
    const ca = (await import('node:fs')).readFileSync(join(bastion.data, 'web.crt'));
    const form = await https(base, ca, '/login');
    const c0 = cookiesOf(form);
    const login = await https(base, ca, '/login', { method: 'POST', cookie: c0, form: { name: 'watcher', password: PASSWORD, _csrf: /name="_csrf" value="([^"]+)"/.exec(form.body)![1]! } });
    if (login.status !== 303) throw new Error(`console login: ${login.status} ${login.body}`);
    const cookie = cookiesOf(login);
    const pid = bastion.process!.pid!;
    // The command waits a moment: the viewer connects before the output starts.
    const command = `sleep 1; head -c ${Math.round((MB * 3) / 4)}M /dev/zero | base64; sleep 0.2`;
    const liveKey = async (known: Set<string>): Promise<string> => {
      for (;;) {
        const list = JSON.parse((await https(base, ca, '/api/sessions', { cookie })).body) as { sessions: { auditKey: string; state: string; user: string }[] };
        const s = list.sessions.find((x) => x.state === 'live' && x.user === 'bench' && !known.has(x.auditKey));
        if (s) return s.auditKey;
        await sleep(50);
      }
    };
    const seen = new Set<string>();
    const run = async (viewer: boolean) => {
      const cpu0 = cpuSeconds(pid);
      const t0 = process.hrtime.bigint();
      const child = spawn('ssh', ['-F', started.cfg, '-tt', 'web1', command], { stdio: ['pipe', 'ignore', 'ignore'] });
      const exited = new Promise<number | null>((r) => child.on('close', r));
      const key = await liveKey(seen);
      seen.add(key);
      // Both ways alike: wait for the terminal channel (a viewer connecting before it opens would be refused and retry).
      for (;;) {
        const d = JSON.parse((await https(base, ca, `/api/sessions/${key}`, { cookie })).body) as { channels: { channel: number; state: string }[] };
        if (d.channels.some((c) => c.channel === 1 && c.state === 'live')) break;
        await sleep(50);
      }
      let watched: Watched | undefined;
      let viewing: Awaited<ReturnType<typeof watch>>;
      if (viewer) {
        for (let i = 0; i < 40 && !viewing; i++) {
          viewing = await watch(base, ca, cookie, key);
          if (!viewing) await sleep(25);
        }
        if (!viewing) throw new Error('the viewer could not connect');
      }
      const code = await exited;
      const cpu = cpuSeconds(pid) - cpu0;
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (viewing) watched = await viewing.done;
      if (code !== 0) throw new Error(`ssh exited ${code}`);
      return { cpu, wall, watched, key };
    };
    console.log(`live view cost: pty session printing ${MB} MB through fumidai, ${REPS} pairs (without, with one viewer), load ${fmt(loadavg()[0]!, 2)}`);
    // Warm-up, not counted: code compiled (the viewer's too: the emulator, the websocket), pools allocated.
    await run(false);
    await run(true);
    const without: number[] = [];
    const withViewer: number[] = [];
    let screens = 0;
    let lastKey = '';
    for (let i = 0; i < REPS; i++) {
      for (const viewer of i % 2 ? [true, false] : [false, true]) {
        await sleep(3000); // the sealed recording's screen indexing (a worker thread) is done before the next run
        const r = await run(viewer);
        (viewer ? withViewer : without).push(r.cpu);
        screens += r.watched?.screens ?? 0;
        lastKey = r.key;
        const seenBy = r.watched ? `, viewer got ${fmt(r.watched.bytes / 1e6)} MB (${r.watched.screens} screens, ${r.watched.outputs} output frames), closed ${r.watched.code}` : '';
        console.log(`  ${viewer ? 'with viewer   ' : 'without viewer'}  cpu ${fmt(r.cpu, 2)} s  wall ${fmt(r.wall, 2)} s${seenBy}`);
      }
    }
    const a = stats(without);
    const b = stats(withViewer);
    console.log(`median fumidai CPU: without ${fmt(a.median, 2)} s (${fmt(a.min, 2)}-${fmt(a.max, 2)}), with one viewer ${fmt(b.median, 2)} s (${fmt(b.min, 2)}-${fmt(b.max, 2)}): +${fmt((b.median / a.median - 1) * 100)} %`);
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    console.log(`mean fumidai CPU: without ${fmt(mean(without), 2)} s, with one viewer ${fmt(mean(withViewer), 2)} s: +${fmt((mean(withViewer) / mean(without) - 1) * 100)} %`);
    // The viewer's own work while output floods is one screen per interval; its CPU, measured here on the last
    // recording with the same code, times the screens sent, is what the noise of a loaded machine hides.
    const path = JSON.parse((await https(base, ca, `/api/sessions/${lastKey}`, { cookie })).body).channels[0].recordingPath as string;
    const size = (await import('node:fs')).statSync(path).size;
    const reader = new ScreenReader();
    const before = process.cpuUsage();
    for (let i = 0; i < 200; i++) await reader.at(path, size, { cols: 80, rows: 24 }, 16 * 1024, 8192);
    const c = process.cpuUsage(before);
    reader.dispose();
    const perScreen = (c.user + c.system) / 200 / 1e6;
    const perRun = (screens / REPS) * perScreen;
    console.log(`a screen: ${fmt(perScreen * 1000, 2)} ms of CPU; ${fmt(screens / REPS, 1)} screens per run: ${fmt(perRun, 3)} s, ${fmt((perRun / mean(without)) * 100, 2)} % of the session's CPU`);
    console.log(`load average at the end ${fmt(loadavg()[0]!, 2)}`);
  } finally {
    await bastion.stop();
    await target?.stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
