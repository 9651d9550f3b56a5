// The access report for an assessor (`fumidai report`, the web console's /report): the trail's verification, then
// the evidence an assessor asks for, each section a query over the trail; as data, and as Markdown or HTML text.
import type { DataDir } from '../config/data-dir.js';
import { keyFingerprint } from './keys.js';
import { auditRoot } from './open.js';
import { cell, openEvents, query, segmentFiles, timeWhere } from './query.js';
import { describeVerdict, localAuditKey, verifyAll, type ChainVerdict } from './verify-all.js';

interface Section {
  title: string;
  sql: string;
}

/** The evidence an assessor asks for, each a query over the trail. */
const sections = (where: string): Section[] => {
  const and = (cond: string) => (where ? `${where} AND ${cond}` : `WHERE ${cond}`);
  return [
    { title: 'Access per user', sql: `SELECT "user", count(*) FILTER (WHERE eventName = 'SessionStart') AS sessions,
        string_agg(DISTINCT target, ', ') FILTER (WHERE eventName = 'SessionStart') AS targets,
        string_agg(DISTINCT sourceIp, ', ') AS sources, min(eventTime) AS first, max(eventTime) AS last,
        count(*) FILTER (WHERE eventName = 'AuthSuccess' AND (details->>'method') = 'publickey+totp') AS mfa_logins,
        count(*) FILTER (WHERE eventName IN ('AuthFailure', 'MfaFailure', 'PolicyDenied')) AS denied,
        count(*) FILTER (WHERE eventName = 'IdleTimeout') AS idle_disconnects
      FROM events ${and(`"user" IS NOT NULL`)} GROUP BY 1 ORDER BY 1` },
    { title: 'Access per target', sql: `SELECT target, string_agg(DISTINCT "user", ', ') AS users, string_agg(DISTINCT login, ', ') AS logins,
        count(*) AS sessions, min(eventTime) AS first, max(eventTime) AS last
      FROM events ${and(`eventName = 'SessionStart'`)} GROUP BY 1 ORDER BY 1` },
    { title: 'Sessions', sql: `SELECT eventTime, sessionId, "user", sourceIp, login || '@' || target AS destination
      FROM events ${and(`eventName = 'SessionStart'`)} ORDER BY eventTime` },
    { title: 'Denied attempts', sql: `SELECT eventTime, eventName, coalesce("user", (details->>'sshUser')) AS "user", sourceIp, target, reason
      FROM events ${and(`eventName IN ('AuthFailure', 'MfaFailure', 'PolicyDenied', 'ChannelDenied', 'PortForward', 'ConnectionRefused') AND result = 'failure'`)} ORDER BY eventTime` },
    { title: 'Logins with a second factor', sql: `SELECT eventTime, "user", sourceIp FROM events ${and(`eventName = 'MfaSuccess'`)} ORDER BY eventTime` },
    { title: 'Idle disconnects and ended sessions', sql: `SELECT eventTime, eventName, "user", sessionId, reason FROM events
      ${and(`eventName IN ('IdleTimeout', 'MaxSessionLength', 'SessionRevoked', 'ChannelRevoked')`)} ORDER BY eventTime` },
    { title: 'Administrative changes', sql: `SELECT eventTime, "user" AS operator, reason AS change, details FROM events ${and(`eventName = 'AdminChange'`)} ORDER BY eventTime` },
  ];
};

export interface AccessReport {
  title: string;
  intact: boolean;
  /** The verdict line, one line per chain, and what the key proves. */
  verification: string[];
  sections: { title: string; columns: string[]; rows: string[][] }[];
}

/** `verdicts`: the trail's verification done already (off the server's thread); by default done here. */
export async function accessReport(dir: DataDir, since: string, until: string, verdicts?: ChainVerdict[]): Promise<AccessReport> {
  const key = localAuditKey(dir);
  verdicts ??= verifyAll(dir, undefined, undefined, key);
  const intact = verdicts.every((v) => v.verdict.ok);
  const conn = await openEvents(segmentFiles(auditRoot(dir)));
  try {
    const verification = [`Audit trail verification: ${intact ? 'PASSED' : 'FAILED'}`, ...verdicts.map((v) => describeVerdict(v.chain, v.verdict)),
      `checked with this data directory's own key ${keyFingerprint(key)}, which proves only that the trail agrees with itself: compare it with the fingerprint your auditors hold ('fumidai audit verify --fingerprint')`];
    const out: AccessReport['sections'] = [];
    for (const s of sections(timeWhere(since, until))) {
      const { columns, rows } = await query(conn, s.sql);
      out.push({ title: s.title, columns, rows: rows.map((r) => r.map(cell)) });
    }
    return { title: `fumidai access report, ${since} to ${until}`, intact, verification, sections: out };
  } finally {
    conn.closeSync();
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const escapeMd = (s: string) => s.replaceAll('|', '\\|').replace(/\s+/g, ' ');

/** The report as the CLI prints it: a Markdown document, or a bare HTML one. */
export function renderReport(r: AccessReport, format: 'md' | 'html'): string {
  const out: string[] = [];
  const html = format === 'html';
  const { title, verification } = r;
  if (html) out.push(`<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title><h1>${escapeHtml(title)}</h1>`, `<p><b>${escapeHtml(verification[0]!)}</b></p><ul>${verification.slice(1).map((v) => `<li>${escapeHtml(v)}</li>`).join('')}</ul>`);
  else out.push(`# ${title}`, '', `**${verification[0]}**`, '', ...verification.slice(1).map((v) => `- ${v}`), '');
  for (const { title: t, columns, rows } of r.sections) {
    if (html) {
      out.push(`<h2>${escapeHtml(t)}</h2>`, rows.length === 0 ? '<p>none</p>' : `<table border="1"><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('')}</table>`);
    } else {
      out.push(`## ${t}`, '');
      if (rows.length === 0) out.push('none', '');
      else out.push(`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.map(escapeMd).join(' | ')} |`), '');
    }
  }
  return out.join('\n');
}
