// Starts the web console beside the SSH listener, when web.listen is set: the certificate from the data directory
// (made by init, or given), its fingerprint in the log, the port in the log line tests read.
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AuditTrail } from '../audit/trail.js';
import type { DataDir } from '../config/data-dir.js';
import { SourceThrottle } from '../auth/throttle.js';
import { SeedBox } from '../mfa/seed-box.js';
import { nodeName } from '../audit/open.js';
import type { LiveFeed } from '../recording/live-feed.js';
import type { LiveSessions } from '../session/live-sessions.js';
import type { Store } from '../store/store.js';
import { certFingerprint, ensureSelfSigned } from '../web/cert.js';
import { WebLogin } from '../web/login.js';
import { startWeb } from '../web/server.js';
import { listenError } from './listen-error.js';
import { BucketReader, bucketLocation } from '../shipping/bucket-reader.js';
import { RecordingCache } from '../shipping/recording-cache.js';
import { OidcIdp, readClientSecret } from '../identity/oidc.js';
import { RequestDesk } from '../auth/access-requests.js';
import { CertificateIssuer } from '../auth/cert-issue.js';
import { loadUserCa } from '../identity/user-ca.js';
import { linkKeyOf, requestWebhook } from './request-webhook.js';
import { PolicySource } from '../policy/source.js';

const RECORDING_CACHE = 'cache/recordings';

/** Recordings for replay that are not on this node, from the bucket when shipping is configured (read at each use). */
function recordingCache(dir: DataDir): RecordingCache {
  let reader: { key: string; reader: BucketReader } | undefined;
  return new RecordingCache({
    reader: () => {
      const shipping = dir.config.shipping;
      if (!shipping.bucket) return undefined;
      const key = JSON.stringify([shipping.bucket, shipping.prefix, shipping.region, shipping.endpoint]);
      if (reader?.key !== key) reader = { key, reader: new BucketReader(bucketLocation({}, shipping)) };
      return reader.reader;
    },
    cacheDir: dir.path(RECORDING_CACHE),
    maxBytes: dir.config.web.recordingCacheMB * 1024 * 1024,
  });
}

/** The bastion's live parts the console reaches: its terminal output and its live sessions' re-check. */
export interface ConsoleLive {
  feed: LiveFeed;
  sessions: Pick<LiveSessions, 'storeChanged'>;
}

export async function startConsole(dir: DataDir, store: Store, audit: AuditTrail, log: Logger, listenOption?: string, bastion?: ConsoleLive): Promise<(() => Promise<void>) | undefined> {
  const web = dir.config.web;
  const listen = listenOption ?? web.listen;
  if (!listen) return undefined;
  const certFile = dir.path(web.cert);
  const keyFile = dir.path(web.key);
  // A data directory made before the console existed gets its pair now, as init would have made it.
  if (!existsSync(certFile) && !existsSync(keyFile)) ensureSelfSigned(certFile, keyFile);
  const cert = readFileSync(certFile);
  // Failed console logins per address follow the SSH rules (auth.banAfter, banWindow, banSeconds), counted apart.
  const { banAfter, banWindow, banSeconds } = dir.config.auth;
  const throttle = new SourceThrottle({ banAfter, windowSec: banWindow, banSec: banSeconds }, Date.now, store);
  const login = new WebLogin({ accounts: store, audit, seeds: SeedBox.fromFile(dir.path(dir.config.auth.mfaKeyFile)), rules: () => dir.config.web, throttle, banSeconds });
  const live = bastion && { feed: bastion.feed, node: nodeName(dir), storeChanged: () => bastion.sessions.storeChanged(), users: store, index: store };
  const deps = { cert, key: readFileSync(keyFile), login, index: store, audit, accounts: store, identity: store, dir, spool: store, keyframeDir: dir.path('keyframes'), recordingCacheDir: dir.path(RECORDING_CACHE), live, recordings: recordingCache(dir) };
  // The console's own client of the IdP (the config's client; its secret read once, here, never logged).
  const oidc = dir.config.auth.oidc;
  const sso = web.sso && oidc && {
    idp: new OidcIdp(oidc, readClientSecret(oidc, (p) => dir.path(p)), ({ user, ...facts }) => audit.record('IdpOutage', { user }, facts)),
    url: () => dir.config.web.url,
    roles: () => dir.config.web.sso?.roles,
    audit,
  };
  const desk = new RequestDesk({ store, policy: new PolicySource(store), audit, pendingSec: () => dir.config.requests.pendingFor, filed: requestWebhook(dir, audit) });
  // The user CA serve made: certificates in the console come from the same issuer as `ssh USER@bastion cert`.
  const caFile = dir.path(dir.config.certs.userCaKey);
  const certs = existsSync(caFile) ? { issuer: new CertificateIssuer({ ca: loadUserCa(caFile), store, audit, maxValiditySec: () => dir.config.certs.maxValidity }), store } : undefined;
  const server = await startWeb({ ...deps, ...(sso ? { sso } : {}), ...(certs ? { certs } : {}), requests: { desk, store, linkKey: linkKeyOf(dir) }, idleMinutes: () => dir.config.web.idleMinutes, rpId: () => dir.config.web.rpId }, listen).catch((err) =>
    Promise.reject(listenError(err, listenOption !== undefined ? 'serve --web-listen' : `web.listen: in ${dir.configFile}`, listen)),
  );
  log.info({ web: server.address, certSha256: certFingerprint(cert) }, `web console on https://${server.address}`);
  return server.close;
}
