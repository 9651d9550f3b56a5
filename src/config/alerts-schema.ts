// The `alerts:` section: the rules that turn audit events (and the bastion's own control failures) into alerts, and
// the sinks that receive them. Built-in rules are on unless a rule of the same name says otherwise; a reload applies
// at once (every event reads the current rules and sinks).
import { z } from 'zod';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,47}$/, 'lowercase letters, digits and dashes');
const seconds = z.number().positive();

/** Fields every rule has; `sinks`: the sink names it goes to (absent: every sink). */
const common = {
  enabled: z.boolean().optional(),
  severity: z.enum(['critical', 'warning', 'info']).optional(),
  sinks: z.array(name).optional(),
  /** A second alert of this rule (for the same key) within this many seconds is folded into one, with a count. */
  rateLimit: seconds.optional(),
};

/** A rule as written: a built-in's name with only the fields to change, or a new rule with its kind. */
export const alertRuleSchema = z
  .object({
    ...common,
    kind: z.enum(['event', 'count', 'new-address', 'outside-hours', 'labelled-target', 'command', 'bulk-read', 'control']).optional(),
    /** event, count: the event names that match; result: only successes or only failures. */
    events: z.array(z.string().min(1)).optional(),
    result: z.enum(['success', 'failure']).optional(),
    /** count: how many in `window` seconds, counted per `by`. */
    threshold: z.number().int().positive().optional(),
    window: seconds.optional(),
    by: z.enum(['sourceIp', 'user', 'sessionId']).optional(),
    /** new-address: an address unused by this user for this many days. */
    days: z.number().int().positive().optional(),
    /** outside-hours: the allowed hours, `HH:MM-HH:MM` in UTC, and days (0 = Sunday). */
    hours: z.string().regex(/^\d\d:\d\d-\d\d:\d\d$/, 'HH:MM-HH:MM').optional(),
    weekdays: z.array(z.number().int().min(0).max(6)).optional(),
    /** labelled-target: `key=value` selectors of the targets to watch. */
    labels: z.array(z.string().regex(/^[^=\s]+=[^=\s]*$/, 'key=value')).optional(),
    /** command: words that match as the command's first word (after sudo-like prefixes too). */
    words: z.array(z.string().min(1)).optional(),
    /** bulk-read: files or bytes read over sftp/scp in one session. */
    files: z.number().int().positive().optional(),
    bytes: z.number().int().positive().optional(),
  })
  .strict();

export type AlertRuleConfig = z.infer<typeof alertRuleSchema>;

const AUTH_FAILURES = ['AuthFailure', 'MfaFailure', 'WebLoginFailure'];

/** The rules on by default (outside-hours waits for its hours); a rule of the config with one of these names changes it. */
export const BUILT_IN_RULES: Record<string, AlertRuleConfig> = {
  'auth-failures-address': { kind: 'count', events: AUTH_FAILURES, by: 'sourceIp', threshold: 5, window: 60, severity: 'warning' },
  'auth-failures-user': { kind: 'count', events: AUTH_FAILURES, by: 'user', threshold: 5, window: 300, severity: 'warning' },
  'new-address': { kind: 'new-address', days: 30, severity: 'info' },
  'outside-hours': { kind: 'outside-hours', hours: '07:00-19:00', weekdays: [1, 2, 3, 4, 5], severity: 'warning', enabled: false },
  'labelled-target': { kind: 'labelled-target', labels: ['env=prod'], severity: 'info' },
  sudo: { kind: 'command', words: ['sudo', 'su'], severity: 'warning' },
  'bulk-read': { kind: 'bulk-read', files: 100, bytes: 100 * 1024 * 1024, severity: 'warning' },
  'port-forward': { kind: 'event', events: ['PortForward'], severity: 'info' },
  'command-matched': { kind: 'event', events: ['CommandMatched'], severity: 'warning' },
  'control-failures': { kind: 'control', severity: 'critical', rateLimit: 300 },
};

const tls = z.union([z.boolean(), z.object({ ca: z.string().min(1).optional(), servername: z.string().min(1).optional() }).strict()]);

export const alertSinkSchema = z.discriminatedUnion('type', [
  /** A Slack-compatible incoming webhook (`{"text": ...}`): the URL is the secret, so it is read from a file. */
  z.object({ type: z.literal('slack'), name, urlFile: z.string().min(1) }).strict(),
  /** A JSON POST signed with HMAC-SHA256 over the body (X-Fumidai-Signature: sha256=HEX), secret from a 0600 file. */
  z.object({ type: z.literal('webhook'), name, url: z.string().url(), secretFile: z.string().min(1) }).strict(),
  /** RFC 5424 over TCP (RFC 6587 octet counting), or TLS. */
  z.object({ type: z.literal('syslog'), name, host: z.string().min(1), port: z.number().int().min(1).max(65535), tls: tls.default(false) }).strict(),
  /** Email through an SMTP relay (STARTTLS when offered; `secure`: TLS from the start); password from a 0600 file. */
  z
    .object({
      type: z.literal('email'), name, host: z.string().min(1), port: z.number().int().min(1).max(65535), secure: z.boolean().default(false),
      user: z.string().min(1).optional(), passwordFile: z.string().min(1).optional(), from: z.string().email(), to: z.array(z.string().email()).min(1),
    })
    .strict(),
]);

export type AlertSinkConfig = z.infer<typeof alertSinkSchema>;

export const alertsSchema = z.preprocess(
  (v) => v ?? {},
  z
    .object({
      /** Built-in rules by name (fields to change), and new rules. */
      rules: z.record(name, alertRuleSchema).default({}),
      sinks: z.array(alertSinkSchema).default([]),
      /** A failed delivery is tried again after 2 s, doubling up to `maxBackoff`, until `giveUpAfter` has passed. */
      maxBackoff: seconds.default(60),
      giveUpAfter: seconds.default(86_400),
      /** Seconds a claimed delivery is held by one node before another may take it over. */
      lease: seconds.default(60),
      /** Audit events past this count per shipping round's backlog of files make a shipping-backlog alert. */
      shippingBacklog: z.number().int().positive().default(100),
      /** The console's address in links (https://HOST:PORT); the web listener's address when absent. */
      consoleUrl: z.string().url().optional(),
    })
    .strict()
    .refine((a) => new Set(a.sinks.map((s) => s.name)).size === a.sinks.length, { message: 'two sinks with one name', path: ['sinks'] })
    .refine((a) => Object.entries(a.rules).every(([n, r]) => r.kind || n in BUILT_IN_RULES), { message: 'a rule that is not built in needs a kind', path: ['rules'] })
    .refine((a) => Object.values(a.rules).every((r) => (r.sinks ?? []).every((s) => a.sinks.some((k) => k.name === s))), { message: 'a rule names a sink that is not in alerts.sinks', path: ['rules'] }),
);

export type AlertsConfig = z.infer<typeof alertsSchema>;
