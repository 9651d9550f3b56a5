// Every error a person can see is created here, with a stable code and a one-line message that says what to do.
// Users see `fumidai: <message> (<CODE>)`; details go to the log only.

const messages = {
  CONFIG_INVALID: (file: string, where: string, why: string) => `${file}: ${where}: ${why}`,
  POLICY_INVALID: (file: string, where: string, why: string) => `${file}: ${where}: ${why}; nothing was applied`,
  CONFIG_UNREADABLE: (file: string, why: string) => `cannot read config ${file}: ${why}`,
  DATA_DIR_MISSING: (dir: string) => `no fumidai data directory at ${dir}; run 'fumidai init --data ${dir}' first`,
  KEY_INVALID: (source: string, why: string) => `${source}: not a usable SSH public key (${why})`,
  KEY_IN_USE: (fp: string, owner: string) => `key ${fp} already belongs to user '${owner}'`,
  NAME_INVALID: (kind: string, name: string) =>
    `invalid ${kind} name '${name}': use a lowercase letter, then lowercase letters, digits, '-', '_' or '.' (at most 64)`,
  USER_EXISTS: (name: string) => `user '${name}' already exists`,
  USER_UNKNOWN: (name: string) => `no user named '${name}'`,
  TARGET_EXISTS: (name: string) => `target '${name}' already exists`,
  TARGET_UNKNOWN: (name: string) => `unknown target '${name}'`,
  TARGET_NOT_GIVEN: () =>
    `no target given: use 'ssh -J USER@bastion LOGIN@TARGET' or 'ssh -l LOGIN@TARGET bastion', or open a shell for the menu`,
  USER_LOCKED: (user: string, until: string) =>
    `user '${user}' is locked until ${until} after repeated failures; an admin can run 'fumidai user unlock ${user}'`,
  MFA_PENDING_LIMIT: (user: string, cap: number) =>
    `${cap} logins of user '${user}' already wait for a verification code; answer or close one of them, then try again`,
  MFA_CODE_REFUSED: (why: string) => `verification code refused: ${why}`,
  SSO_REFUSED: (why: string) => `single sign-on refused: ${why}`,
  MFA_NOT_ENROLLED: (user: string) => `user '${user}' has no second factor enrolled; an admin runs 'fumidai mfa enroll ${user}'`,
  IDLE_TIMEOUT: (why: string) => `session ended: ${why}`,
  SESSION_TOO_LONG: (why: string) => `session ended: ${why}`,
  ACCESS_REVOKED: (why: string, what = 'session') => `${what} ended, access revoked: ${why}`,
  ACCESS_DENIED: (reason: string) => `access denied: ${reason}`,
  TRANSFER_DENIED: (path: string, reason: string, rule: string) => `file transfer of ${path} refused: ${reason} (rule '${rule}')`,
  FORWARD_DENIED: (dest: string, reason: string, rule: string) => `forwarding to ${dest} refused: ${reason} (rule '${rule}')`,
  CHANNEL_DENIED: (what: string) => `${what} is not allowed through this bastion`,
  FORWARD_NO_TARGET: (dest: string) =>
    `port forwarding to ${dest} needs a target to start from: ssh -J BASTION -W ${dest} TARGET, or LOGIN@TARGET as the user name`,
  UPSTREAM_REFUSED: (target: string, addr: string) => `target '${target}' (${addr}) refused the connection`,
  UPSTREAM_TIMEOUT: (target: string, addr: string, seconds: number) =>
    `target '${target}' (${addr}) did not answer within ${seconds}s`,
  UPSTREAM_UNREACHABLE: (target: string, addr: string, why: string) => `cannot reach target '${target}' (${addr}): ${why}`,
  UPSTREAM_HOSTKEY_MISMATCH: (target: string, pinned: string, offered: string) =>
    `host key of target '${target}' changed (pinned ${pinned}, offered ${offered}); ` +
    `if the change is expected, an admin runs 'fumidai target trust ${target}'`,
  UPSTREAM_HOSTKEY_WEAK: (target: string, addr: string) =>
    `target '${target}' (${addr}) offers no host key fumidai accepts (an ssh-rsa key signed with SHA-1 is refused); ` +
    `give the target an ed25519 key, or an admin runs 'fumidai target set ${target} --allow-sha1-host-key yes'`,
  UPSTREAM_AUTH_FAILED: (target: string, login: string, how: string) =>
    `target '${target}' did not accept ${how} for login '${login}'`,
  UPSTREAM_LOST: (target: string) => `connection to target '${target}' was lost`,
  UPSTREAM_CHANNEL_FAILED: (target: string, what: string, why: string) => `target '${target}' refused ${what}: ${why}`,
  RECORDING_FAILED: (why: string) => `the session could not be recorded (${why}), so it was ended; tell the administrator`,
  AUDIT_UNAVAILABLE: (why: string) => `the audit trail cannot be written (${why}), so this was refused; tell the administrator`,
  NODE_TOO_OLD: (node: string) => `Node.js 22 or later is needed (24 LTS recommended); this is ${node}: see README "Quick start"`,
  NATIVE_MODULE_MISMATCH: (node: string) => `a native module was built for another Node.js than this one (${node}): run 'npm rebuild' (or 'npm ci') with this Node`,
  STORE_UNAVAILABLE: (where: string, why: string) => `cannot use the store ${where}: ${why}`,
  LISTEN_FAILED: (address: string, why: string, setting: string) => `cannot listen on ${address}: ${why}; set another address with ${setting}`,
  LOGIN_UNAVAILABLE: () => 'logins are paused: the bastion cannot reach its store to check them; try again in a minute',
  SESSION_UNKNOWN: (key: string, where = '') => `no session with audit key '${key}'${where}`,
  RECORDING_UNREADABLE: (path: string, why: string) => `cannot read recording ${path}: ${why}`,
  AUDIT_TAMPERED: (where: string) => `audit trail tampered: ${where}`,
  HOST_KEY_MISSING: (files: string) => `no host key to serve with: none of ${files} exists; 'fumidai init' creates them`,
  AUDIT_KEY_MISSING: (path: string, why: string) =>
    `audit signing key ${path} ${why}; fumidai never makes a new one by itself: restore it from a backup, or if it is ` +
    `truly lost start a new trail (new audit.dir and audit.node in the config), then 'fumidai init' makes a new key`,
  AUDIT_KEY_CHANGED: (path: string, fp: string, where: string) =>
    `the audit signing key ${path} (${fp}) did not sign this node's trail (newest checkpoint: ${where}): restore the key ` +
    `that did, or if it is truly lost start a new trail (new audit.dir and audit.node in the config)`,
  AUDIT_KEY_MISMATCH: (what: string, pinned: string) => `${what}, not the pinned ${pinned}: the trail was not signed by the key your auditors hold`,
  RECORDING_TAMPERED: (path: string, where: string, what: string) => `recording ${what}: ${path} (${where})`,
  BUCKET_UNAVAILABLE: (where: string, why: string) => `cannot read ${where}: ${why}`,
  SHIP_FAILED: (n: number, why: string) => `${n} file(s) could not be shipped (${why}); they stay in the spool and are retried`,
  WEB_ACCOUNT_EXISTS: (name: string) => `web console account '${name}' already exists`,
  WEB_ACCOUNT_UNKNOWN: (name: string) => `no web console account named '${name}'`,
  WEB_TOKEN_EXISTS: (name: string) => `a console API token named '${name}' exists; revoke it first ('fumidai web token revoke ${name}')`,
  WEB_TOKEN_UNKNOWN: (name: string) => `no console API token named '${name}' (or it is revoked already)`,
  WEB_CERT_FAILED: (why: string) => `cannot create the web console's certificate: ${why}; give web.cert and web.key in the config, or set web.listen to '' to turn the console off`,
  CERT_CA_MISSING: (path: string) => `no user CA key at ${path}: 'fumidai init' (or 'fumidai serve') creates it, or set certs.userCaKey`,
  HOST_CA_MISSING: (path: string) => `no host CA key at ${path}: 'fumidai init' (or 'fumidai serve', or 'fumidai certs host-ca') creates it, or set certs.hostCaKey`,
  CERT_REFUSED: (why: string) => `certificate refused: ${why}`,
  CERT_NOT_ISSUED: (why: string) => `no certificate issued: ${why}`,
  CERT_FORCED_COMMAND: (what: string) => `${what} is not allowed: this certificate may only run its forced command`,
  CERT_UNKNOWN: (what: string) => `no certificate issued with ${what}`,
  REQUEST_REFUSED: (why: string) => `access request refused: ${why}`,
  REQUEST_UNKNOWN: (id: string) => `no access request #${id}`,
  COMMAND_DENIED: (reason: string, rule: string, what = 'command refused') => `${what}: ${reason} (rule '${rule}')`,
  HOLD_UNKNOWN: (id: string) => `no held line #${id}`,
  HOLD_NOT_DECIDED: (id: number, why: string) => `held line #${id} not decided: ${why}`,
  APPROVAL_REFUSED: (id: number, why: string) => `access request #${id} not decided: ${why}`,
  ARGUMENT_INVALID: (what: string) => what,
} as const;

export type ErrorCode = keyof typeof messages;

export class FumidaiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'FumidaiError';
  }
  /** The one line a person sees. */
  get line(): string {
    return `fumidai: ${this.message} (${this.code})`;
  }
}

export function fail<C extends ErrorCode>(code: C, ...args: Parameters<(typeof messages)[C]>): FumidaiError {
  const make = messages[code] as (...a: unknown[]) => string;
  return new FumidaiError(code, make(...args));
}

export const errorCodes = Object.keys(messages) as ErrorCode[];

/** The line for any error: ours keep their code, others become INTERNAL (details belong in the log). */
export function userLine(err: unknown): string {
  if (err instanceof FumidaiError) return err.line;
  return 'fumidai: internal error, the administrator can find details in the log (INTERNAL)';
}
