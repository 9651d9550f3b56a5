// A terminal recording as one self-contained HTML file an auditor opens in a browser: asciinema-player's bundle and
// stylesheet inlined, the asciicast embedded line by line, and the session's facts (who, where, when, sealed sha256)
// above the player. Nothing is fetched from anywhere, so the file can be archived as evidence with the report.
import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { once } from 'node:events';

export interface ExportFacts {
  auditKey: string;
  user: string;
  target?: string;
  login?: string;
  sourceIp: string;
  startedAt: string;
  channel: number;
  /** The recording's sha256 as sealed, and whether the file still has it. */
  sha256?: string;
  verified: boolean;
}

const require = createRequire(import.meta.url);

async function playerAssets(): Promise<{ js: string; css: string }> {
  const asset = (name: string) => readFile(require.resolve(`asciinema-player/dist/bundle/${name}`), 'utf8');
  const [js, css] = await Promise.all([asset('asciinema-player.min.js'), asset('asciinema-player.css')]);
  return { js, css };
}

/** Makes text safe inside a <script> or <style> element: no sequence can close it early. */
export function scriptSafe(text: string): string {
  return text.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Streams the .cast file into OUT; the recording is never held in memory as a whole. */
export async function exportHtml(castPath: string, facts: ExportFacts, out: string): Promise<void> {
  const { js, css } = await playerAssets();
  const input = createReadStream(castPath, 'utf8');
  await once(input, 'open'); // an unreadable recording fails here, before OUT is touched
  const handle = await open(out, 'w', 0o640).catch((err: NodeJS.ErrnoException) => {
    input.destroy();
    throw Object.assign(new Error(`cannot write ${out}: ${err.code ?? err.message}`), { output: true });
  });
  const file = handle.createWriteStream();
  let failed: Error | undefined;
  file.on('error', (err) => (failed = err));
  const write = async (s: string) => {
    if (failed) throw failed;
    if (!file.write(s)) await Promise.race([once(file, 'drain'), once(file, 'error')]);
  };
  const title = `${facts.user} → ${facts.login ?? '?'}@${facts.target ?? '?'} · ${facts.auditKey}`;
  const rows: [string, string][] = [
    ['audit key', `${facts.auditKey} (channel ${facts.channel})`],
    ['user', `${facts.user} from ${facts.sourceIp}`],
    ['target', `${facts.login ?? '?'}@${facts.target ?? '?'}`],
    ['started', facts.startedAt],
    ['sealed sha256', facts.sha256 ? `${facts.sha256} (${facts.verified ? 'the file matches' : 'THE FILE DOES NOT MATCH: modified after sealing'})` : 'not sealed'],
  ];
  await write(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${scriptSafe(css)}</style>
<style>body{font-family:system-ui,sans-serif;margin:2em;background:#fafafa}table{border-collapse:collapse;margin-bottom:1em}td{padding:2px 12px 2px 0;vertical-align:top}td:first-child{color:#666}.bad{color:#b00;font-weight:bold}</style>
</head><body>
<h1>Session recording</h1>
<table>${rows.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td${!facts.verified && k === 'sealed sha256' ? ' class="bad"' : ''}>${escapeHtml(v)}</td></tr>`).join('')}</table>
<div id="player"></div>
<script id="fumidai-cast" type="application/json">[`);
  // One JSON string per asciicast line; the player gets them joined back into the file's text.
  const lines = createInterface({ input, crlfDelay: Infinity });
  let first = true;
  for await (const line of lines) {
    await write(`${first ? '' : ',\n'}${JSON.stringify(line).replace(/</g, '\\u003c')}`);
    first = false;
  }
  await write(`]</script>
<script>${scriptSafe(js)}</script>
<script>
const cast = JSON.parse(document.getElementById('fumidai-cast').textContent).join('\\n') + '\\n';
AsciinemaPlayer.create({ data: cast }, document.getElementById('player'), { fit: 'width', idleTimeLimit: 2 });
</script>
</body></html>
`);
  file.end();
  await once(file, 'close');
  if (failed) throw failed;
}
