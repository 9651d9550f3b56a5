import type { Command } from 'commander';
import { existsSync, watchFile } from 'node:fs';
import { configReloader } from '../config/reload.js';
import { basename, dirname, join } from 'node:path';
import { CONFIG_FILE, dataDirFrom, initDataDir, openDataDir } from '../config/data-dir.js';
import { startGateway } from '../gateway/server.js';
import { createLogger } from '../log.js';
import { storeOf } from './common.js';
import { initAuditKey } from './init.js';
import { checkPrivacy } from './private-data.js';
import { recoverUnsealed, type Recovered } from '../recording/recovery.js';
import { anchoringConfigured, auditRoot, openAuditTrail } from '../audit/open.js';
import { unanchored, type Anchor } from '../shipping/anchor.js';
import { anchorsFor, stageFor, startAnchoring } from './anchoring.js';
import { listenError } from './listen-error.js';
import { logEvent } from '../audit/log-events.js';
import { backlogOf, Shipper } from '../shipping/shipper.js';
import { s3Client } from '../shipping/s3-client.js';
import { Metrics } from '../metrics/metrics.js';
import { BucketKeySync } from '../identity/bucket-sync.js';
import type { AuditTrail } from '../audit/trail.js';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { DataDir } from '../config/data-dir.js';
import { PolicySource } from '../policy/source.js';
import { Access } from '../policy/access.js';
import { SeedBox } from '../mfa/seed-box.js';
import { PendingMfa } from '../auth/pending-mfa.js';
import { OidcIdp, readClientSecret } from '../identity/oidc.js';
import { SourceThrottle } from '../auth/throttle.js';
import { sweepEndedAccess } from '../auth/access-expiry.js';
import { LiveSessions } from '../session/live-sessions.js';
import { IndexWrites } from '../store/index-writes.js';
import { indexScreenText } from '../session/recorder.js';
import { paddingPooled } from '../ssh/padding.js';
import { packetSizeSet } from '../ssh/packet-size.js';
import { hybridKexApplied } from '../ssh/hybrid-kex.js';
import { cipherChoiceInstalled } from '../ssh/cipher-choice.js';
import { loadHostKeys, startHostCertificates } from './host-keys.js';
import { ScreenIndexPool } from '../playback/screen-index-pool.js';
import { startConsole } from './web-console.js';
import { requestWebhook } from './request-webhook.js';
import { ensureUserCaKey, loadUserCa } from '../identity/user-ca.js';
import { trustedCas } from '../auth/cert-check.js';
import { RequestDesk } from '../auth/access-requests.js';
import { HoldDesk } from '../auth/line-holds.js';
import { ShellRules } from '../session/shell-rules.js';
import { CertificateIssuer, upstreamCertificates } from '../auth/cert-issue.js';
import { LiveFeed } from '../recording/live-feed.js';
import { startAlerting } from './alerting.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the bastion (initializes the data directory on first run)')
    .option('--data <dir>', 'data directory (default: $FUMIDAI_DATA, else ./fumidai-data)')
    .option('--listen <host:port>', 'address to listen on (overrides the config file)')
    .option('--web-listen <host:port>', "the web console's address (overrides web.listen; '' turns it off)")
    .action(async (opts: { data?: string; listen?: string; webListen?: string }) => {
      const dirPath = dataDirFrom(opts.data);
      const firstRun = !existsSync(join(dirPath, CONFIG_FILE));
      if (firstRun) initDataDir(dirPath);
      const dir = openDataDir(dirPath);
      const log = createLogger(dir.config.log.level);
      checkPrivacy(dir, log);
      if (firstRun) log.info(initAuditKey(dir, true).line); // the first run is an init: the one other place a key is made
      // A bug that escapes every handler leaves one fatal line with its stack in the log before the process goes:
      // a bastion that vanished without a word cannot be diagnosed.
      process.on('uncaughtException', (err) => {
        logEvent(log, 'fatal', 'Crash', { err }, `fumidai stopped on an unexpected error: ${err.message}`);
        process.exit(70);
      });
      // The trail first, before the store: a missing or replaced signing key stops the start here (AUDIT_KEY_MISSING,
      // AUDIT_KEY_CHANGED), and each recording the recovery seals is evidence whose event names its digest. Its
      // checkpoints leave the host as they are signed, where an anchor is configured (the bucket, a remote syslog):
      // each is staged as a file, and every anchor (once the store is open) sends what is staged.
      let anchors: Anchor[] = [];
      const audit = openAuditTrail(dir, log, anchoringConfigured(dir) ? stageFor(dir, () => anchors) : undefined);
      const store = await storeOf(dir);
      const alerting = startAlerting(dir, store, audit, log); // from here on, every event written is seen by the alert rules
      anchors = anchorsFor(dir, store);
      await startAnchoring(anchors, audit, dir, log);
      const recovered = await recoverUnsealed(store, (r) => recordInterrupted(audit, store, r));
      for (const r of recovered) {
        if (r.unreported) logEvent(log, 'error', 'RecordingInterrupted', r, 'a recording left open by a previous run was repaired, but no audit event could be written: left unsealed, the next start tries again');
        else logEvent(log, 'warn', 'RecordingInterrupted', r, 'sealed a recording left open by a previous run');
      }
      const interrupted = await store.interruptLiveSessions('fumidai stopped while the session was live');
      if (interrupted) log.warn({ interrupted }, 'marked sessions of a previous run as interrupted');
      const live = new LiveSessions(store, log, () => dir.config.session.recheckInterval, undefined, (now) => sweepEndedAccess({ store, audit }, now));
      const indexWrites = new IndexWrites(log);
      const screenIndex = new ScreenIndexPool();
      const feed = new LiveFeed(); // terminal output for the console's live view
      // Terminal recordings sealed by the recovery above, or sealed just before the process went, are indexed now: a
      // session cut by a crash is one an auditor will want to search.
      for (const ch of await store.unindexedScreens()) indexScreenText({ screenIndex, indexWrites, index: store }, { auditKey: ch.auditKey, channel: ch.channel, path: ch.recordingPath }, log);
      const config = dir.config; // one object, updated in place by a reload: every part reads the current values
      const access = new Access(store, new PolicySource(store));
      const holds = new HoldDesk({ store, policy: new PolicySource(store), audit });
      const listen = opts.listen ?? config.listen;
      // The user CA, made here for a data directory older than certificates (as init does for a new one).
      const caFile = dir.path(config.certs.userCaKey);
      if (ensureUserCaKey(caFile)) log.info({ file: caFile }, 'created the user CA key; fumidai certs ca prints its public line');
      const ca = loadUserCa(caFile);
      let trustKey = '';
      let trusted = trustedCas(ca, []);
      const certs = {
        // Read at each login, parsed again only when certs.trustedUserCAs changed (a reload applies at once).
        trusted: () => {
          const key = JSON.stringify(config.certs.trustedUserCAs);
          if (key !== trustKey) [trustKey, trusted] = [key, trustedCas(ca, config.certs.trustedUserCAs)];
          return trusted;
        },
        clockSkewSec: () => config.certs.clockSkew,
        waivesMfa: (ownCa: boolean) => access.certificateWaivesMfa(ownCa),
        rulesWaiveMfa: (ownCa: boolean) => access.someRuleWaivesMfa(ownCa),
      };
      // One client for logins and the live re-check; the secret is read once, here, and never logged.
      const idp = config.auth.oidc && new OidcIdp(config.auth.oidc, readClientSecret(config.auth.oidc, (p) => dir.path(p)), ({ user, ...facts }) => audit.record('IdpOutage', { user }, facts));
      const hostKeys = loadHostKeys(dir, log);
      const hostCerts = config.certs.hostCertificates ? startHostCertificates(dir, hostKeys, audit, log) : undefined;
      const gateway = await startGateway(
        {
          config,
          store,
          log,
          hostKeys,
          ...(hostCerts ? { hostCerts } : {}),
          audit,
          access,
          live,
          login: {
            store,
            audit,
            auth: config.auth,
            seeds: SeedBox.fromFile(dir.path(config.auth.mfaKeyFile)),
            // Failures counted in the store: with several nodes, a flood spread over them counts once.
            throttle: new SourceThrottle({ banAfter: config.auth.banAfter, windowSec: config.auth.banWindow, banSec: config.auth.banSeconds }, Date.now, store),
            pendingMfa: new PendingMfa(),
            certs,
            ...(idp ? { oidc: idp } : {}),
          },
          issuer: new CertificateIssuer({ ca, store, audit, maxValiditySec: () => config.certs.maxValidity }),
          desk: new RequestDesk({ store, policy: new PolicySource(store), audit, pendingSec: () => config.requests.pendingFor, filed: requestWebhook(dir, audit) }),
          holds,
          shellRules: new ShellRules({ policy: new PolicySource(store), holds }),
          sessions: {
            log,
            audit,
            access,
            dir: store,
            index: store,
            indexWrites,
            config,
            upstreamKey: dir.readKey(config.upstream.key),
            upstreamCert: upstreamCertificates(ca, dir.readKey(`${config.upstream.key}.pub`).toString(), () => config.certs.upstreamValidity),
            recordingDir: dir.path(config.recording.dir),
            ...(idp ? { idp } : {}),
            screenIndex,
            live: feed,
          },
        },
        listen,
      ).catch((err) => Promise.reject(listenError(err, opts.listen ? 'serve --listen' : `listen: in ${dir.configFile} (or serve --listen)`, listen)));
      if (!paddingPooled) log.warn('ssh2 was loaded before its packet padding could be pooled: relaying costs more CPU');
      if (!packetSizeSet) log.warn('ssh2 was loaded before its packet size could be set: relaying through ProxyJump costs more CPU');
      if (!hybridKexApplied) log.warn('ssh2 was loaded before the post-quantum key exchange could be added: only classic key exchanges are offered');
      if (!cipherChoiceInstalled) log.warn("ssh2 was loaded before fumidai could choose ciphers: clients get their own first choice of ssh.ciphers");
      log.info({ address: gateway.address, data: dir.dir }, `listening on ${gateway.address}`);
      const closeConsole = await startConsole(dir, store, audit, log, opts.webListen, { feed, sessions: live });
      const metrics = new Metrics({ backlog: () => backlogOf(store), liveSessions: () => live.size, unanchored: () => unanchored(anchors) });
      audit.onWriteFailure = () => metrics.auditWriteFailures.inc();
      const metricsAt = dir.config.metrics.listen;
      if (metricsAt) {
        const at = await metrics.listen(metricsAt).catch((err) => Promise.reject(listenError(err, `metrics.listen: in ${dir.configFile}`, metricsAt)));
        log.info({ metrics: at }, `metrics on http://${at}/metrics`);
      }
      if (dir.config.keySync.bucket) startKeySync(dir, store, audit, log, live, metrics);
      if (dir.config.shipping.bucket) {
        const shipper = new Shipper(store, dir.config.shipping, { recordings: dir.path(dir.config.recording.dir), audit: auditRoot(dir) });
        shipper.start((r) => {
          metrics.shippingRound(r);
          if (r.shipped || r.failed.length || r.pruned) logEvent(log, r.failed.length ? 'warn' : 'info', 'Shipping', { shipped: r.shipped, failed: r.failed.length, backlog: r.backlog, pruned: r.pruned, error: r.failed[0]?.error }, 'shipping round');
          if (r.backlog > dir.config.alerts.shippingBacklog) alerting.control('ShippingBacklog', r.failed[0]?.error ?? `${r.backlog} files wait to be shipped`, { backlog: r.backlog, failed: r.failed.length });
          for (const x of r.refused) {
            logEvent(log, 'error', 'ShippingRefused', x, x.error);
            void audit.record('AuditTampered', {}, { chain: basename(dirname(x.path)), problems: [x.error], reason: x.error }).catch(() => undefined);
          }
        });
      }
      const stop = async (signal: string) => {
        log.info({ signal }, 'stopping');
        await Promise.race([Promise.all([gateway.close(), closeConsole?.()]), new Promise((r) => setTimeout(r, 2000))]);
        // Screens of the sessions that just ended are indexed before the store goes (up to 10 s).
        await Promise.race([screenIndex.idle(), new Promise((r) => setTimeout(r, 10_000))]);
        if (!(await indexWrites.drain())) log.warn({ writes: indexWrites.pending }, 'the store did not answer: the next start marks these sessions interrupted');
        await store.interruptLiveSessions(`fumidai stopped (${signal})`).catch((err) => log.error({ err: (err as Error).message }, 'could not mark live sessions interrupted'));
        await alerting.stop();
        await audit.close(); // ends today's segment with a signed checkpoint
        await Promise.race([Promise.all(anchors.map((a) => a.settled())), new Promise((r) => setTimeout(r, 5000))]); // and sends it
        for (const a of anchors) a.stop();
        await store.close();
        process.exit(0);
      };
      const reloadConfig = configReloader(dir.config, dir.configFile);
      const reload = (why: string) => {
        const r = reloadConfig();
        if (!r.ok) return logEvent(log, 'error', 'ConfigReloadFailed', { why, reason: r.error }, `config not reloaded, still running the previous one: ${r.error}`);
        if (r.news) logEvent(log, 'info', 'ConfigReloaded', { why, changed: r.changed, needsRestart: r.needsRestart }, 'config reloaded');
      };
      process.on('SIGHUP', () => reload('SIGHUP'));
      // A change is read 250 ms after the last one seen, not at once: an editor or a script may still be writing.
      let settling: NodeJS.Timeout | undefined;
      watchFile(dir.configFile, { interval: 1000 }, (now, before) => {
        if (now.mtimeMs === before.mtimeMs) return;
        clearTimeout(settling);
        settling = setTimeout(() => reload('file changed'), 250);
      });
      process.once('SIGTERM', () => void stop('SIGTERM'));
      process.once('SIGINT', () => void stop('SIGINT'));
    });
}

/** The audit event of a recording the recovery repaired (or could not), with who and where from the session index. */
async function recordInterrupted(audit: AuditTrail, store: Store, r: Recovered): Promise<void> {
  // Without the session row (store trouble) the event still goes, with the audit key alone: the digest is the evidence.
  const s = await store.getSession(r.auditKey).catch(() => undefined);
  const ctx = { sessionId: r.auditKey, ...(s && { user: s.user, sourceIp: s.sourceIp, sourcePort: s.sourcePort, target: s.target, login: s.login }) };
  const where = { channel: r.channel, path: r.path };
  await audit.record('RecordingInterrupted', ctx, r.error
    ? { ...where, result: 'failure', reason: r.error }
    : { ...where, result: 'success', sha256: r.sha256, bytes: r.bytes, cut: r.cut, ...(r.tornPath ? { tornPath: r.tornPath } : {}) });
}

/** Polls the key bucket; every change is an audit event and a changelog line on stderr. */
function startKeySync(dir: DataDir, store: Store, audit: AuditTrail, log: Logger, live: LiveSessions, metrics: Metrics): void {
  const { bucket, prefix, interval } = dir.config.keySync;
  const sync = new BucketKeySync(s3Client(dir.config.shipping), bucket!, prefix, store);
  const changelog = (line: string, user: string, key: string) => {
    process.stderr.write(`${line}\n`);
    void audit.record('AdminChange', { user: 'bucket-sync' }, { reason: line, target: user, object: key }).catch(() => undefined);
  };
  let running = false;
  const round = async () => {
    if (running) return;
    running = true;
    try {
      const r = await sync.run();
      for (const u of r.created) changelog(`Creating user account for ${u} (${prefix}${u}.pub)`, u, `${prefix}${u}.pub`);
      for (const u of r.updated) changelog(`Updating keys of ${u} (${prefix}${u}.pub)`, u, `${prefix}${u}.pub`);
      for (const u of r.removed) changelog(`Removing user account ${u} (${prefix}${u}.pub deleted)`, u, `${prefix}${u}.pub`);
      if (r.updated.length || r.removed.length) live.storeChanged(); // removed users and keys lose their live sessions
      for (const s of r.skipped) void audit.record('KeySyncSkipped', {}, { reason: s.reason, object: s.key }).catch(() => undefined);
    } catch (err) {
      metrics.keySyncErrors.inc();
      logEvent(log, 'warn', 'KeySyncFailed', { err: (err as Error).message }, 'key bucket not reachable; users stay as they are');
    } finally {
      running = false;
    }
  };
  void round();
  setInterval(() => void round(), interval * 1000).unref();
}
