// The live view and the admin actions. The live view streams a terminal channel that is live on this node over a
// websocket (same session cookie as every page, and only from the console's own pages: the Origin must be ours),
// first the screen so far (from the recording), then each piece of output as it is recorded; each start is a
// LiveViewStarted event, written before anything is shown. Terminate and lock are for admins only (adminOnly).
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../audit/trail.js';
import { SCREEN_TAIL, ScreenReader } from '../playback/live-screen.js';
import type { LiveEvent, LiveStart, LiveWatcher } from '../recording/live-feed.js';
import { AUDIT_KEY } from '../shipping/object-keys.js';
import type { SessionIndex } from '../store/store.js';
import { adminOnly } from './admin-only.js';
import { SESSION_COOKIE } from './authn.js';
import { ALIS_EOT, ALIS_PROTOCOL } from './alis.js';
import { LiveStream } from './live-stream.js';
import { setUserLocked, terminateSession, type ActionDeps, type Outcome } from './console-actions.js';
import { html, page } from './html.js';
import { liveInfo, type LiveDeps } from './live-deps.js';
import { livePage } from './live-page.js';
import { LIVE_JS } from './live-script.js';
import { PLAYER_CSP } from './session-routes.js';
import { notFoundPage, sessionPath } from './session-page.js';

export interface LiveRouteDeps {
  index: Pick<SessionIndex, 'getSession'>;
  audit: Pick<AuditTrail, 'record'>;
  live?: LiveDeps;
  /** Whether a console session's cookie is still good (not logged out, idle or removed); asked while a viewer watches. */
  stillIn?: (cookie: string | undefined) => Promise<boolean>;
}

/** What the stream uses of a server-side websocket (ws's, as @fastify/websocket hands it over). */
interface Socket {
  send(data: Buffer): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
  readonly readyState: number;
  readonly OPEN: number;
  on(event: 'close', cb: () => void): void;
}

/** How often a viewer's console session is checked while it watches (logout, removal, idle expiry end the stream). */
const STILL_IN_MS = 5000;

/** Recording bytes replayed for each screen while output floods (a screen is a few kB): a few ms each. */
const FLOOD_TAIL = 16 * 1024;

type Params = { auditKey: string; channel?: string; name?: string };
const USER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export async function liveRoutes(app: FastifyInstance, deps: LiveRouteDeps): Promise<void> {
  // The player offers several subprotocols; the console speaks ALiS only. Viewers send nothing worth more than 1 kB.
  await app.register(fastifyWebsocket, { options: { maxPayload: 1024, handleProtocols: (offered: Set<string>) => (offered.has(ALIS_PROTOCOL) ? ALIS_PROTOCOL : false) } });
  app.get('/static/console-live.js', (_req, reply) => reply.type('text/javascript; charset=utf-8').send(LIVE_JS));
  const who = (req: FastifyRequest, reply: FastifyReply) => ({ name: req.consoleSession!.name, role: req.consoleSession!.role, via: req.consoleSession!.via, csrf: reply.generateCsrf() });
  const sessionOf = (auditKey: string) => (AUDIT_KEY.test(auditKey) ? deps.index.getSession(auditKey) : Promise.resolve(undefined));

  app.get<{ Params: Params }>('/sessions/:auditKey/live', async (req, reply) => {
    const s = await sessionOf(req.params.auditKey);
    if (!s) return reply.code(404).type('text/html; charset=utf-8').send(notFoundPage(who(req, reply)));
    reply.header('content-security-policy', PLAYER_CSP);
    return reply.type('text/html; charset=utf-8').send(livePage(s, await liveInfo(deps.live, s), who(req, reply)));
  });

  // A cross-site page can open a websocket with the user's cookie (no CORS for websockets): only our own pages may.
  const sameOrigin = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.headers.origin !== `https://${req.headers.host}`) return reply.code(403).send({ error: 'foreign origin' });
    return undefined;
  };
  app.get<{ Params: Params }>('/sessions/:auditKey/live/:channel/ws', { websocket: true, preValidation: sameOrigin }, (socket, req) => {
    void watch(socket, req).catch(() => socket.close(1011, 'internal error'));
  });
  const watch = async (socket: Socket, req: FastifyRequest<{ Params: Params }>) => {
    const { auditKey, channel } = req.params;
    const live = deps.live;
    const s = await sessionOf(auditKey);
    // Close codes 4000-4100 end the player's stream with the reason shown, instead of reconnecting.
    if (!live || !s || s.state !== 'live' || !/^\d{1,9}$/.test(channel ?? '') || !live.feed.channels(auditKey).includes(Number(channel))) {
      return socket.close(4004, 'no such live channel on this node');
    }
    const ch = Number(channel);
    try {
      await deps.audit.record('LiveViewStarted', { user: req.consoleSession!.name, sourceIp: req.ip }, { auditKey, channel: ch });
    } catch {
      return socket.close(4003, 'the audit trail cannot be written: nothing is shown');
    }
    let start: LiveStart | undefined;
    const screens = new ScreenReader();
    const stream = new LiveStream({
      send: (frame) => socket.send(frame),
      screen: (first) => {
        // The position now, synchronously: what comes after it follows the screen.
        const upTo = start!.position();
        // A client without a terminal of its own (ssh -tt from a pipe) asks for a 0x0 one: shown as 80x24.
        const { cols, rows } = start!.size();
        const size = { cols: cols || 80, rows: rows || 24 };
        // While output floods, the last few screenfuls of it are enough (and cheap): the first screen replays more.
        const read = () => (first ? screens.at(start!.path, upTo, size) : screens.at(start!.path, upTo, size, FLOOD_TAIL, Math.max(8192, size.cols * size.rows * 4)));
        return start!.flushed().then(read).then((text) => ({ ...size, text }));
      },
    });
    const watcher: LiveWatcher = {
      send: (e: LiveEvent) => stream.event(e),
      backlog: () => socket.bufferedAmount,
      end: (why) => {
        stream.close();
        if (why === 'ended') {
          socket.send(ALIS_EOT);
          socket.close(1000, 'the session ended');
        } else socket.close(1013, 'the viewer fell behind'); // the player reconnects, with the screen as it is then
      },
    };
    start = live.feed.watch(auditKey, ch, watcher);
    if (!start) {
      screens.dispose();
      return socket.close(4004, 'the channel ended');
    }
    // Watching counts as activity (each check resets the idle clock); logging out or removing the account ends it.
    const cookie = req.cookies[SESSION_COOKIE];
    const check = setInterval(() => {
      void (deps.stillIn?.(cookie) ?? Promise.resolve(true)).then(
        (ok) => ok || socket.close(4001, 'logged out of the console'),
        () => undefined,
      );
    }, STILL_IN_MS);
    check.unref();
    socket.on('close', () => {
      clearInterval(check);
      stream.close();
      start?.stop();
      // After a screen being built, if one is: the emulator may still be in use until then.
      void stream.idle().then(() => screens.dispose());
    });
    start.go();
    await stream.start();
  };

  const guard = { preHandler: adminOnly(deps.audit) };
  const csrfGuard = { preHandler: [adminOnly(deps.audit), app.csrfProtection] };
  const op = (req: FastifyRequest) => ({ name: req.consoleSession!.name, ip: req.ip });
  const body = (req: FastifyRequest) => (req.body ?? {}) as Record<string, unknown>;
  const actions = (): ActionDeps | undefined => deps.live && { ...deps.live, index: { getSession: deps.index.getSession.bind(deps.index), requestTermination: deps.live.index.requestTermination.bind(deps.live.index) }, audit: deps.audit };
  /** A form's answer: back to the session's page, or a page with the error. */
  const formAnswer = (req: FastifyRequest, reply: FastifyReply, r: Outcome, back: string) =>
    r.ok ? reply.redirect(back, 303) : reply.code(r.status).type('text/html; charset=utf-8').send(page('Not done', html`<h1>Not done</h1><p class="error">${r.error}</p><p><a href="${back}">Back</a></p>`, who(req, reply)));
  const jsonAnswer = (reply: FastifyReply, r: Outcome) => (r.ok ? { ok: true, message: r.message } : reply.code(r.status).send({ error: r.error }));
  // JSON only: a cross-site form cannot send it without a preflight this console never answers.
  const isJson = (req: FastifyRequest) => /^application\/json\b/.test(String(req.headers['content-type'] ?? ''));
  const unavailable: Outcome = { ok: false, status: 503, error: 'admin actions are not available on this console' };

  const terminate = async (req: FastifyRequest<{ Params: Params }>) => {
    const a = actions();
    if (!a) return unavailable;
    if (!AUDIT_KEY.test(req.params.auditKey)) return { ok: false, status: 404, error: 'no such session' } as Outcome;
    return terminateSession(a, op(req), req.params.auditKey, body(req).reason);
  };
  app.post<{ Params: Params }>('/sessions/:auditKey/terminate', csrfGuard, async (req, reply) => formAnswer(req, reply, await terminate(req), sessionPath(req.params.auditKey)));
  app.post<{ Params: Params }>('/api/sessions/:auditKey/terminate', guard, async (req, reply) => {
    if (!isJson(req)) return reply.code(415).send({ error: 'send JSON: {"reason": "..."}' });
    return jsonAnswer(reply, await terminate(req));
  });
  for (const verb of ['lock', 'unlock'] as const) {
    const lock = async (req: FastifyRequest<{ Params: Params }>) => {
      const a = actions();
      if (!a) return unavailable;
      if (!USER_NAME.test(req.params.name ?? '')) return { ok: false, status: 404, error: 'no such user' } as Outcome;
      return setUserLocked(a, op(req), req.params.name!, verb === 'lock', body(req).reason);
    };
    app.post<{ Params: Params }>(`/users/:name/${verb}`, csrfGuard, async (req, reply) => {
      const back = String(body(req).back ?? '');
      // Only a session page: an answer never sends the browser elsewhere.
      const to = back.startsWith('/sessions/') && AUDIT_KEY.test(back.slice('/sessions/'.length)) ? back : '/sessions';
      return formAnswer(req, reply, await lock(req), to);
    });
    app.post<{ Params: Params }>(`/api/users/:name/${verb}`, guard, async (req, reply) => {
      if (!isJson(req)) return reply.code(415).send({ error: 'send JSON: {"reason": "..."}' });
      return jsonAnswer(reply, await lock(req));
    });
  }
}
