// Builds an evidence bundle from the trail and the recordings, writes it as one self-contained HTML page, and reads
// it back from such a page. The proof: for each of the session's event lines, the chain lines from it up to and
// including the next checkpoint (overlapping runs merged), with the public key; the recordings' bytes, whose sha256
// the proven RecordingSealed events name.
import { createHash, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { keyFingerprint } from '../audit/chain.js';
import type { Segment } from '../audit/verify.js';
import { scriptSafe } from '../playback/html-export.js';
import { renderEvidence } from './page-script.js';
import { verifyEvidence, type EvidenceBundle } from './proof.js';

/** The session's event lines, each with the chain up to its checkpoint; undefined when the chain does not name it. */
export function proofRanges(segments: Segment[], auditKey: string): { lines: string[] }[] | undefined {
  const all = [...segments].sort((a, b) => a.name.localeCompare(b.name)).flatMap((s) => s.text.split('\n').filter(Boolean));
  const parsed = all.map((l) => {
    try {
      return (JSON.parse(l) ?? {}) as { sessionId?: string; checkpoint?: { v?: number }; seq?: number; eventName?: string };
    } catch {
      return {};
    }
  });
  const ranges: [number, number][] = [];
  let found = false;
  for (let i = 0; i < all.length; i++) {
    if (parsed[i]!.sessionId !== auditKey || parsed[i]!.checkpoint) continue;
    found = true;
    let j = i + 1;
    while (j < all.length && parsed[j]!.checkpoint?.v !== 2) j++;
    if (j === all.length) throw new Error(`event seq ${parsed[i]!.seq} (${parsed[i]!.eventName}) is not yet covered by a signed checkpoint; the server writes one within seconds, try again`);
    const prev = ranges.at(-1);
    if (prev && i <= prev[1]) prev[1] = Math.max(prev[1], j);
    else ranges.push([i, j]);
  }
  return found ? ranges.map(([a, b]) => ({ lines: all.slice(a, b + 1) })) : undefined;
}

export async function buildBundle(auditKey: string, chain: string, segments: Segment[], key: KeyObject, recordingPaths: string[]): Promise<EvidenceBundle | undefined> {
  const ranges = proofRanges(segments, auditKey);
  if (!ranges) return undefined;
  const raw = key.export({ type: 'spki', format: 'der' }).subarray(-32);
  const recordings = await Promise.all(recordingPaths.map(async (path) => ({ name: basename(path), path, base64: (await readFile(path)).toString('base64') })));
  return { v: 1, auditKey, chain, publicKey: raw.toString('base64'), keyFingerprint: keyFingerprint(key), ranges, recordings };
}

export interface PageFacts {
  user: string;
  sourceIp: string;
  target?: string;
  login?: string;
  startedAt: string;
  endedAt?: string;
  exitStatus?: number;
}

const require = createRequire(import.meta.url);
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const cspHash = (js: string) => `'sha256-${createHash('sha256').update(js).digest('base64')}'`;
const BUNDLE_ID = 'fumidai-evidence';

/** Writes the page to a file that only its owner and group read. */
export async function writeEvidencePage(bundle: EvidenceBundle, facts: PageFacts, out: string): Promise<void> {
  await writeFile(out, await evidencePage(bundle, facts), { mode: 0o640 });
}

/** The page: the bundle as JSON in a data element, the player, and the verifier and renderer as inline scripts. */
export async function evidencePage(bundle: EvidenceBundle, facts: PageFacts): Promise<string> {
  const asset = (name: string) => readFile(require.resolve(`asciinema-player/dist/bundle/${name}`), 'utf8');
  const [playerJs, css] = await Promise.all([asset('asciinema-player.min.js'), asset('asciinema-player.css')]);
  const scripts = [scriptSafe(playerJs), scriptSafe(`${verifyEvidence.toString()}\n${renderEvidence.toString()}\nrenderEvidence();`)];
  // No network: nothing but the inline scripts (by hash; the player compiles its embedded WebAssembly terminal), inline
  // styles and data: fonts and images.
  const csp = `default-src 'none'; script-src ${scripts.map(cspHash).join(' ')} 'wasm-unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'`;
  const rows: [string, string][] = [
    ['audit key', bundle.auditKey],
    ['user', `${facts.user} from ${facts.sourceIp}`],
    ['target', `${facts.login ?? '?'}@${facts.target ?? '?'}`],
    ['time', `${facts.startedAt} .. ${facts.endedAt ?? '(not ended)'}`],
    ['exit status', facts.exitStatus?.toString() ?? ''],
  ];
  const json = JSON.stringify(bundle).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>Evidence ${escapeHtml(bundle.auditKey)}</title>
<style>${scriptSafe(css)}</style>
<style>body{font-family:system-ui,sans-serif;margin:2em;background:#fafafa}table{border-collapse:collapse;margin-bottom:1em}td{padding:2px 12px 2px 0;vertical-align:top;font-size:90%}
#facts td:first-child{color:#666}#verdict{padding:.8em;font-weight:bold;font-size:120%;border:2px solid #888}.valid{background:#dfd;border-color:#080!important}.invalid{background:#fdd;border-color:#b00!important}
pre{background:#222;color:#eee;padding:.5em;white-space:pre-wrap}#player{max-width:60em}</style>
</head><body>
<h1>Session evidence</h1>
<div id="verdict">checking the proof…</div>
<p id="fingerprint"></p>
<table id="facts">${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<section><h2>Terminal</h2><div id="player"></div></section>
<section><h2>Commands typed</h2><pre id="typed"></pre></section>
<section><h2>Exec commands and output</h2><div id="execs"></div></section>
<section><h2>File operations</h2><table id="files"><tr><th>op</th><th>path</th><th>bytes</th><th>sha256</th><th>result</th></tr></table></section>
<h2>Events</h2><table id="events"><tr><th>seq</th><th>time</th><th>event</th><th>result</th><th>details</th></tr></table>
<script id="${BUNDLE_ID}" type="application/json">${json}</script>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body></html>
`;
}

/** The bundle embedded in an evidence page; undefined when the text holds none. */
export function bundleFromPage(html: string): EvidenceBundle | undefined {
  const m = new RegExp(`<script id="${BUNDLE_ID}" type="application/json">([\\s\\S]*?)</script>`).exec(html);
  if (!m) return undefined;
  return JSON.parse(m[1]!) as EvidenceBundle;
}
