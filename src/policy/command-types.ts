// The vocabulary of command, file-transfer and tunnel rules: what the policy says about what a user does inside an
// allowed session. Pure data; command-rules.ts decides with it.
import type { Pattern } from './patterns.js';

/** Who and where a rule is about. Absent selectors mean everyone, every target, every login. */
export interface Scope {
  users?: string[];
  groups?: string[];
  /** Target names with `*` globs, or label selectors `key=value`. */
  targets?: string[];
  logins?: string[];
}

/**
 * `on: exec` rules see the exact command of an exec channel before it runs: `deny` refuses the channel, `allow` makes
 * an allow-list (once any allow rule is in scope, only commands it matches may run), `alert` lets it run and tells.
 * `on: shell` rules see each line a user submits at an interactive shell, as the screen shows it: `alert`,
 * `terminate` (the session ends before the line is passed on) or `hold` (the line waits for an approver).
 */
export type CommandRule = Scope & {
  name: string;
  match: Pattern;
  reason?: string;
} & (
    | { on: 'exec'; action: 'allow' | 'deny' | 'alert' }
    | { on: 'shell'; action: 'alert' | 'terminate' | 'hold'; approvers?: string[]; timeout?: number }
  );

/** A file moved over sftp or scp. */
export interface FileRule extends Scope {
  name: string;
  /** Globs over the remote path (`*` crosses `/`). */
  paths?: string[];
  direction?: 'upload' | 'download';
  /** Bytes; the rule is about transfers at least this large. */
  minSize?: number;
  action: 'deny' | 'alert';
  reason?: string;
}

/** A port forward (`ssh -L`/`-R`/`-W`). */
export interface TunnelRule extends Scope {
  name: string;
  /** `host:port` globs, e.g. `*:5432` or `10.0.0.*:*`. */
  destinations?: string[];
  kind?: 'local-forward' | 'remote-forward';
  action: 'deny' | 'alert';
  reason?: string;
}

/** Where a rule is being decided. */
export interface RuleContext {
  user: string;
  /** Every group of the user (policy groups and IdP groups). */
  groups: readonly string[];
  target: string;
  labels: Record<string, string>;
  login: string;
}
