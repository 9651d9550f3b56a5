// The configuration file's schema: every field, its default, and why it has that default.
import { z } from 'zod';
import ssh2 from 'ssh2';
import { alertsSchema } from './alerts-schema.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:2222 or [::1]:2222');

// RFC 5424 header fields are printable US-ASCII without spaces (PRINTUSASCII), of bounded length.
/** A duration: seconds, or a number with s, m, h or d (e.g. 8h); in seconds. */
export const duration = z
  .union([z.number().int().positive(), z.string().regex(/^\d+[smhd]$/, 'a duration such as 90s, 30m, 8h or 1d')])
  .transform((v) => (typeof v === 'number' ? v : Number(v.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[v.slice(-1) as 's' | 'm' | 'h' | 'd']))
  .refine((v) => v > 0, 'a positive duration');

const printAscii = (max: number) => z.string().regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`), `1 to ${max} printable ASCII characters, no spaces`);

/** RFC 5424 facility names, in code order (audit is 13, "log audit"). */
export const SYSLOG_FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', 'ntp', 'audit', 'alert', 'clock', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'] as const;

/** A remote syslog (RFC 5424 over TCP, RFC 6587 octet counting), optionally TLS, that receives every checkpoint. */
const syslogAnchor = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    /** true: TLS with the system's CAs; ca: a PEM file of the CA(s) to trust instead; servername: the name to check. */
    tls: z.union([z.boolean(), z.object({ ca: z.string().min(1).optional(), servername: z.string().min(1).optional() }).strict()]).default(false),
    appName: printAscii(48).default('fumidai'),
    /** HOSTNAME of the messages; the node's name (audit.node) when absent. */
    hostname: printAscii(255).optional(),
    facility: z.enum(SYSLOG_FACILITIES).default('audit'),
  })
  .strict();

/** A CA in certs.trustedUserCAs: a plain public key line (a certificate or a private key cannot be a CA). */
function isCaLine(line: string): boolean {
  const parsed = ssh2.utils.parseKey(line);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  return Boolean(key) && !(key instanceof Error) && !key!.isPrivateKey() && !key!.type.includes('-cert-');
}

const isLoopbackHttp = (u: URL) => u.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(u.hostname);

/**
 * Single sign-on through an OpenID provider: the SSH second factor becomes the OAuth device flow (RFC 8628). The
 * client secret is never in this file: it is read from `clientSecretFile` or the `clientSecretEnv` variable.
 */
const oidc = z
  .object({
    /** The issuer URL; its /.well-known/openid-configuration is read at the first SSO login. */
    issuer: z.string().url(),
    clientId: z.string().min(1),
    /** A file holding the client secret (relative to the data directory, or absolute); none: a public client. */
    clientSecretFile: z.string().min(1).optional(),
    /** The environment variable holding the client secret, when no file is named. */
    clientSecretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name').default('FUMIDAI_OIDC_CLIENT_SECRET'),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token')).min(1).default(['openid', 'profile', 'groups']),
    /** The claim that names the fumidai user: it must equal the user whose key logged in. */
    userClaim: z.string().min(1).default('preferred_username'),
    /** The claim that lists the user's groups at the IdP. */
    groupsClaim: z.string().min(1).default('groups'),
    /** IdP group -> policy groups the user is in for sessions of this login (besides the policy file's own groups). */
    groupMap: z.record(z.string().min(1), z.array(z.string().min(1))).default({}),
    /** Seconds between re-checks of a live SSO session at the IdP (userinfo); a disabled user or lost group ends it. */
    recheckInterval: z.number().positive().default(300),
    /**
     * Seconds an IdP may go without answering a re-check (since its last good answer) before what it vouched for ends:
     * live SSO sessions and console SSO sessions (fail closed), with an IdpOutage event.
     */
    outageGrace: z.number().positive().default(3600),
    /** Tests only: lets the issuer be plain http on a loopback address (never any other http). */
    allowInsecureLoopback: z.boolean().default(false),
  })
  .strict()
  .refine((o) => {
    const u = new URL(o.issuer);
    return u.protocol === 'https:' || (o.allowInsecureLoopback && isLoopbackHttp(u));
  }, { message: 'the issuer must be https (plain http only on a loopback address with allowInsecureLoopback: true)', path: ['issuer'] });

export const configSchema = z
  .object({
    listen: hostPort.default('127.0.0.1:2222'),
    /** Host key files, relative to the data directory: ed25519, and ECDSA P-256 for clients without ed25519. */
    hostKeys: z.array(z.string().min(1)).min(1).default(['host_ed25519_key', 'host_ecdsa_key']),
    ssh: z
      .object({
        /**
         * Ciphers, in fumidai's order of preference: each client is offered only the first one it supports (see
         * ssh/cipher-choice.ts). AES-GCM first: chacha20-poly1305, OpenSSH's own first choice, costs more CPU per byte
         * relayed; the rest is what a default OpenSSH sshd accepts, for clients without AES-GCM (paramiko, libssh2).
         */
        ciphers: z
          .array(z.enum(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr']))
          .min(1)
          .default(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr']),
        /** MACs for the ciphers that need one (the -ctr ones), the client's choice: OpenSSH's SHA-2 ones, no SHA-1. */
        macs: z
          .array(z.enum(['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512']))
          .min(1)
          .default(['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512']),
      })
      .strict()
      .default({}),
    auth: z
      .object({
        /** Seconds a client has to authenticate (sshd's LoginGraceTime). */
        loginGraceTime: z.number().int().positive().default(60),
        /** Failed attempts per connection before it is cut (sshd's MaxAuthTries). */
        maxAttempts: z.number().int().positive().default(6),
        /** `if-enrolled`: users with a TOTP enrolment must give a code; `required`: every user must. */
        mfa: z.enum(['if-enrolled', 'required']).default('if-enrolled'),
        /** With mfa: required, a user without an enrolment sets one up at first login (QR code, then one code). */
        selfEnroll: z.boolean().default(false),
        /** Key that encrypts TOTP seeds; keep it apart from the store (another disk, a secrets mount). */
        mfaKeyFile: z.string().min(1).default('mfa.key'),
        /** PCI DSS 8.3.4: lock a user after this many consecutive failures, for lockMinutes. */
        lockAfter: z.number().int().positive().default(10),
        lockMinutes: z.number().positive().default(30),
        /** A source address with this many failures within banWindow seconds is refused for banSeconds. */
        banAfter: z.number().int().positive().default(20),
        banWindow: z.number().positive().default(600),
        banSeconds: z.number().positive().default(600),
        /** Connections of one user waiting at the code prompt at once (per node); more are refused. */
        maxPendingMfa: z.number().int().positive().default(3),
        /** Seconds from accept for the client's version line (the login grace time starts after it). */
        versionTimeout: z.number().positive().default(10),
        /** Unauthenticated connections at once (sshd's MaxStartups); more are closed at accept. */
        maxStartups: z.number().int().positive().default(100),
        /** Unauthenticated connections at once from one address (sshd's PerSourceMaxStartups). */
        perSourceMaxStartups: z.number().int().positive().default(30),
        /** Refusals at the door are audited once per address at first, then as counts every this many seconds. */
        refusalSummaryInterval: z.number().positive().default(60),
        /** The second factor after the key: `totp` (see mfa), or `oidc`: every key login is approved at the IdP (auth.oidc). */
        secondFactor: z.enum(['totp', 'oidc']).default('totp'),
        oidc: oidc.optional(),
      })
      .strict()
      .refine((a) => a.secondFactor !== 'oidc' || a.oidc, { message: 'secondFactor: oidc needs an auth.oidc section', path: ['secondFactor'] })
      .default({}),
    upstream: z
      .object({
        key: z.string().min(1).default('upstream_ed25519_key'),
        /** Seconds to wait for a target to answer before giving up. */
        connectTimeout: z.number().positive().default(10),
        /** Seconds between keepalives to targets; 0 turns them off. */
        keepaliveInterval: z.number().nonnegative().default(15),
      })
      .strict()
      .default({}),
    relay: z
      .object({
        /** Environment variables a client may pass to the target (sshd's AcceptEnv); `*` ends a prefix. */
        envAllow: z.array(z.string()).default(['LANG', 'LC_*', 'TZ']),
        /** Shown to every user before the session starts, with the audit key. */
        banner: z.string().default('This session is recorded. Audit key: {auditKey}'),
      })
      .strict()
      .default({}),
    recording: z
      .object({
        /** Where recordings are written (one folder per day, one per session). */
        dir: z.string().min(1).default('recordings'),
        /** Record what users type too (auditors want the commands); a line the target did not echo is kept as its length only. */
        input: z.boolean().default(true),
        /** New channels are refused when the recording disk has less free space than this (MB). */
        minFreeMB: z.number().nonnegative().default(64),
        /** Write recordings around the page cache where the filesystem allows it (see recording/direct-io.ts). */
        directIo: z.boolean().default(false),
      })
      .strict()
      .default({}),
    audit: z
      .object({
        /** Where the hash-chained audit trail is written: <dir>/<node>/<YYYY-MM-DD>.jsonl */
        dir: z.string().min(1).default('audit'),
        /** This node's name in the trail (several nodes may share a bucket); defaults to the host name. */
        node: z.string().regex(/^[A-Za-z0-9][-A-Za-z0-9_.]*$/, 'letters, digits, -, _ and . only').optional(),
        /** Also print classic sshd-style lines ("Accepted publickey for ...") for existing SIEMs. */
        sshdLines: z.enum(['stderr', 'off']).default('stderr'),
        /** While events are written, the chain's head is signed at least this often (seconds), ready to leave the host. */
        checkpointInterval: z.number().positive().max(3600).default(1),
        /** Checkpoints waiting for an anchor past which AnchorBacklog is written and `status` warns. */
        anchorBacklogAlert: z.number().int().positive().default(30),
        /** The private key that signs checkpoints (relative to the data directory, or absolute); only `init` creates it. */
        keyFile: z.string().min(1).default('audit_ed25519_key'),
        /** Where checkpoints are anchored besides the bucket (shipping.bucket anchors them there). */
        anchors: z.preprocess(
          (v) => v ?? {},
          z.object({ syslog: syslogAnchor.optional() }).strict(),
        ),
      })
      .strict()
      .default({}),
    shipping: z
      .object({
        /** Bucket that receives sealed recordings and audit segments; shipping is off without one. */
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a valid S3 bucket name').optional(),
        /** Object keys start with it; a '/' is added when missing, so the shipper and the readers agree. */
        prefix: z
          .string()
          .default('fumidai/')
          .transform((p) => (p === '' || p.endsWith('/') ? p : `${p}/`)),
        region: z.string().default('us-east-1'),
        /** For S3-compatible stores (MinIO, Ceph...): their URL; path-style addressing is used then. */
        endpoint: z.string().url().optional(),
        /** Server-side encryption: AES256 (SSE-S3) or aws:kms (SSE-KMS, with kmsKeyId). */
        sse: z.enum(['AES256', 'aws:kms']).default('AES256'),
        kmsKeyId: z.string().optional(),
        /** Seconds between shipping rounds (live audit segments go up at least this often). */
        interval: z.number().positive().default(60),
        /** Hours an uploaded recording stays on local disk. */
        retentionHours: z.number().nonnegative().default(24),
        /** Object Lock retention for anchored checkpoints and audit segment pieces (the bucket must have Object Lock enabled); off when absent. */
        objectLock: z.object({ mode: z.enum(['GOVERNANCE', 'COMPLIANCE']), days: z.number().int().positive() }).strict().optional(),
      })
      .strict()
      .default({}),
    keySync: z
      .object({
        /** Bucket whose `<prefix><user>.pub` objects are the users (region and endpoint as for shipping); off without one. */
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a valid S3 bucket name').optional(),
        prefix: z.string().default('public-keys/'),
        /** Seconds between listings (an unchanged bucket costs one listing). */
        interval: z.number().positive().default(60),
      })
      .strict()
      .default({}),
    session: z
      .object({
        /** Seconds without client input before a session ends (PCI DSS 8.2.8 asks for at most 15 minutes). */
        idleTimeout: z.number().int().nonnegative().default(900),
        /** Longest a session may last, in seconds; 0 = no limit. */
        maxLength: z.number().int().nonnegative().default(43200),
        /** Seconds of warning on the terminal before either limit ends the session. */
        warning: z.number().int().nonnegative().default(60),
        /** Seconds between re-decisions of every live session's actions (time windows close on this clock); at most a minute. */
        recheckInterval: z.number().positive().max(60).default(60),
      })
      .strict()
      .default({}),
    // A section whose keys are all commented out is null in YAML: that means its defaults.
    store: z.preprocess(
      (v) => v ?? {},
      z
        .object({
          /** postgres://USER@HOST:PORT/DATABASE shared by several nodes (password from PGPASSWORD or ~/.pgpass); SQLite without. */
          url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres://USER@HOST:PORT/DATABASE URL').optional(),
        })
        .strict(),
    ),
    metrics: z.preprocess(
      (v) => v ?? {},
      z
        .object({
          /** HOST:PORT of a Prometheus endpoint (GET /metrics); off without one. Keep it on a private address. */
          listen: hostPort.optional(),
        })
        .strict(),
    ),
    web: z.preprocess(
      (v) => v ?? {},
      z
        .object({
          /** HOST:PORT of the web console (HTTPS); '' turns it off. Loopback by default: put it behind a VPN or a tunnel. */
          listen: z.union([hostPort, z.literal('')]).default('127.0.0.1:8443'),
          /** PEM certificate and key; `init` makes a self-signed pair here when missing. */
          cert: z.string().min(1).default('web.crt'),
          key: z.string().min(1).default('web.key'),
          /** A console session ends after this many minutes without a request (PCI DSS 8.2.8: 15). */
          idleMinutes: z.number().positive().default(15),
          /** Recordings fetched back from the bucket for replay (pruned here, or made on another node) are kept up to this. */
          recordingCacheMB: z.number().int().nonnegative().default(2048),
          /** Consecutive failed logins of an account before it is locked, for lockMinutes. */
          lockAfter: z.number().int().positive().default(5),
          lockMinutes: z.number().positive().default(30),
          /**
           * The WebAuthn relying party: the DNS name browsers reach the console at (keys are bound to it). Unset: the
           * host name of each request (its Host header). Browsers refuse an IP address.
           */
          rpId: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a DNS name in lowercase (no scheme, no port)')
            .optional(),
          /**
           * The console's address as browsers reach it (https://HOST[:PORT], no path): the single sign-on redirect URI
           * (URL/login/sso/callback, registered at the IdP) and the links a request webhook sends are made from it.
           */
          url: z
            .string()
            .url()
            .refine((u) => /^https:\/\/[^/?#]+\/?$/.test(u), 'an https://HOST[:PORT] address with no path')
            .transform((u) => u.replace(/\/$/, ''))
            .optional(),
          /**
           * Console login through the IdP of auth.oidc (authorization code with PKCE): IdP groups -> console role.
           * An IdP user in none of these groups is refused; in both, admin wins.
           */
          sso: z
            .object({
              roles: z
                .object({ admin: z.array(z.string().min(1)).default([]), auditor: z.array(z.string().min(1)).default([]) })
                .strict()
                .refine((r) => r.admin.length + r.auditor.length > 0, 'at least one IdP group for admin or auditor'),
            })
            .strict()
            .optional(),
        })
        .strict()
        .refine((w) => !w.sso || w.url, { message: 'web.sso needs web.url (the redirect URI is made from it)', path: ['url'] }),
    ),
    certs: z.preprocess(
      (v) => v ?? {},
      z
        .object({
          /** fumidai's user CA key (ed25519); init and serve create it when missing. Its public line: `fumidai certs ca`. */
          userCaKey: z.string().min(1).default('user_ca_ed25519_key'),
          /** Longest validity of a certificate `ssh USER@bastion cert` issues (PCI DSS: one working day at most). */
          maxValidity: duration.default(8 * 3600),
          /** Other user CAs whose certificates log in (public key lines, e.g. Vault's SSH CA); fumidai's own is always trusted. */
          trustedUserCAs: z.array(z.string().refine(isCaLine, 'an SSH public key line, e.g. ssh-ed25519 AAAA... vault-ca')).default([]),
          /** Seconds of clock difference allowed at a certificate's valid-after and valid-before. */
          clockSkew: z.number().int().nonnegative().max(600).default(60),
          /** Validity of the per-session certificates fumidai signs for targets with --cert-login. */
          upstreamValidity: duration.default(300),
          /** fumidai's host CA key (ed25519), apart from the user CA; `fumidai certs host-ca` prints its known_hosts line. */
          hostCaKey: z.string().min(1).default('host_ca_ed25519_key'),
          /** Present host certificates signed by the host CA, besides the plain host keys (ProxyJump targets, and the bastion under hostNames). */
          hostCertificates: z.boolean().default(false),
          /** The names clients use for the bastion itself: the principals of its own listener's certificate (none: no certificate there). */
          hostNames: z.array(z.string().regex(/^[A-Za-z0-9._:-]{1,253}$/, 'a host name or address, e.g. bastion.example.com')).default([]),
          /** Validity of a host certificate; fumidai signs a new one when half of it has gone. */
          hostValidity: duration.default(30 * 86400),
        })
        .strict(),
    ),
    requests: z.preprocess(
      (v) => v ?? {},
      z
        .object({
          /** How long a just-in-time access request waits for its approvals; an approval after that is refused. */
          pendingFor: duration.default(3600),
          /**
           * Told of each new request: a JSON POST signed with X-Fumidai-Signature (HMAC-SHA256 with the secret of
           * secretFile, relative to the data directory), with signed approve/deny links to the console (web.url).
           */
          webhook: z
            .object({
              url: z
                .string()
                .url()
                .refine((u) => new URL(u).protocol === 'https:' || isLoopbackHttp(new URL(u)), 'https (plain http only on a loopback address)'),
              secretFile: z.string().min(1),
              /** Tries after the first, 1 s, 2 s, 4 s... apart; then a RequestWebhookFailed event. */
              retries: z.number().int().min(0).max(10).default(3),
            })
            .strict()
            .optional(),
        })
        .strict(),
    ),
    alerts: alertsSchema,
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({}),
  })
  .strict()
  .refine((c) => !c.web.sso || c.auth.oidc, { message: 'web.sso needs an auth.oidc section (its issuer and client)', path: ['web', 'sso'] })
  .refine((c) => !c.requests.webhook || c.web.url, { message: "requests.webhook needs web.url (the links point at the console)", path: ['requests', 'webhook'] });

export type Config = z.infer<typeof configSchema>;
