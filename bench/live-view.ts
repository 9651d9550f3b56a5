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
function watch(base: string, ca: Buffer, cookie: string, auditKey: string): Promise<{ ws: WebSocket; done: Promise<{ bytes: number; code: number }> } | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${base.replace('https:', 'wss:')}/sessions/${auditKey}/live/1/ws`, ['v1.alis'], { ca, headers: { cookie, origin: base } });
    let bytes = 0;
    let opened = false;
    const done = new Promise<{ bytes: number; code: number }>((end) => ws.on('close', (code) => (opened ? end({ bytes, code }) : resolve(undefined))));
    ws.on('message', (data) => {
      bytes += data.length;
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
      let watched: { bytes: number; code: number } | undefined;
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
      return { cpu, wall, watched };
    };
    console.log(`live view cost: pty session printing ${MB} MB through fumidai, ${REPS} pairs (without, with one viewer), load ${fmt(loadavg()[0]!, 2)}`);
    await run(false); // warm-up, not counted: code compiled, pools allocated
    const without: number[] = [];
    const withViewer: number[] = [];
    for (let i = 0; i < REPS; i++) {
      for (const viewer of i % 2 ? [true, false] : [false, true]) {
        await sleep(3000); // the sealed recording's screen indexing (a worker thread) is done before the next run
        const r = await run(viewer);
        (viewer ? withViewer : without).push(r.cpu);
        const seenBy = r.watched ? `, viewer got ${fmt(r.watched.bytes / 1e6)} MB, closed ${r.watched.code}` : '';
        console.log(`  ${viewer ? 'with viewer   ' : 'without viewer'}  cpu ${fmt(r.cpu, 2)} s  wall ${fmt(r.wall, 2)} s${seenBy}`);
      }
    }
    const a = stats(without);
    const b = stats(withViewer);
    console.log(`median fumidai CPU: without ${fmt(a.median, 2)} s (${fmt(a.min, 2)}-${fmt(a.max, 2)}), with one viewer ${fmt(b.median, 2)} s (${fmt(b.min, 2)}-${fmt(b.max, 2)}): +${fmt((b.median / a.median - 1) * 100)} %`);
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
