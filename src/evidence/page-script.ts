// What the evidence page runs in the browser, written here so it is type-checked; the page embeds each function's
// source text. Self-contained like verifyEvidence: nothing from outside the function bodies but the DOM, the bundle
// element, the player's global and `verifyEvidence` (inlined beside it).
import type { EvidenceBundle, EvidenceVerdict } from './proof.js';

declare const AsciinemaPlayer: { create(src: { data: string }, el: HTMLElement, opts: Record<string, unknown>): unknown };
declare function verifyEvidence(bundle: EvidenceBundle, pinned?: string): Promise<EvidenceVerdict>;

/** Renders the page from the embedded bundle: verdict, events, commands and outputs, file operations, player. */
export async function renderEvidence(): Promise<void> {
  const $ = (id: string) => document.getElementById(id)!;
  const bundle = JSON.parse($('fumidai-evidence').textContent!) as EvidenceBundle;
  const el = (tag: string, text?: string, cls?: string) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const utf8 = new TextDecoder();
  // Events of the session, as the bundle's lines say (the verdict says whether they are proven).
  type Ev = { seq: number; eventTime: string; eventName: string; sessionId?: string; result: string; reason?: string; details?: Record<string, unknown> };
  const events: Ev[] = [];
  for (const r of bundle.ranges) for (const l of r.lines) {
    try {
      const e = JSON.parse(l) as Ev;
      if (e.sessionId === bundle.auditKey && !events.some((x) => x.seq === e.seq)) events.push(e);
    } catch {
      // reported by the verdict
    }
  }
  events.sort((a, b) => a.seq - b.seq);
  const table = $('events');
  for (const e of events) {
    const tr = el('tr');
    for (const v of [String(e.seq), e.eventTime, e.eventName, e.result + (e.reason ? `: ${e.reason}` : ''), JSON.stringify(e.details ?? {})]) tr.append(el('td', v));
    table.append(tr);
  }
  const files = $('files');
  for (const e of events.filter((x) => x.eventName === 'FileTransfer')) {
    const d = e.details ?? {};
    const tr = el('tr');
    for (const v of [String(d.op ?? ''), String(d.path ?? '') + (d.to ? ` -> ${String(d.to)}` : ''), String(d.bytes ?? ''), String(d.sha256 ?? ''), e.result]) tr.append(el('td', v));
    files.append(tr);
  }
  // Exec recordings: FUMIDAI-REC-1 header line, then frames of ms(u32) stream(u8) length(u32) data.
  const execs = $('execs');
  for (const rec of bundle.recordings.filter((r) => r.name.endsWith('.bin'))) {
    const b = bytesOf(rec.base64);
    // An sftp or tunnel channel's bytes are protocol data, not output to read: named and counted, checked all the same.
    if (!rec.name.endsWith('-exec.bin')) {
      execs.append(el('p', `${rec.name}: ${b.length} bytes of channel data (in this file, checked against its sealed sha256)`));
      continue;
    }
    const nl = b.indexOf(10, 14);
    let header: { command?: string } = {};
    try {
      header = JSON.parse(utf8.decode(b.subarray(14, nl))) as { command?: string };
    } catch {
      // shown without its command
    }
    const out: Uint8Array[] = [];
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let at = nl + 1; at + 9 <= b.length; ) {
      const stream = view.getUint8(at + 4);
      const len = view.getUint32(at + 5);
      if (stream === 1 || stream === 2) out.push(b.subarray(at + 9, at + 9 + len));
      at += 9 + len;
    }
    execs.append(el('h3', `${rec.name}: $ ${header.command ?? '?'}`), el('pre', out.map((o) => utf8.decode(o, { stream: true })).join('')));
  }
  // The terminal recording, showing its final screen before play: the poster at a second past its last event (the
  // player's poster shows the output before the given time).
  const cast = bundle.recordings.find((r) => r.name.endsWith('.cast'));
  if (cast) {
    const text = utf8.decode(bytesOf(cast.base64));
    const lines = text.split('\n').filter(Boolean);
    let end = 0;
    for (const l of lines.slice(1)) {
      try {
        end = Math.max(end, Number((JSON.parse(l) as unknown[])[0]) || 0);
      } catch {
        // a broken line: the verdict names the recording
      }
    }
    const typed: string[] = [];
    let line = '';
    for (const l of lines.slice(1)) {
      try {
        const [, type, data] = JSON.parse(l) as [number, string, string];
        if (type !== 'i') continue;
        for (const ch of data.replace(/\x1b\[[0-9;]*[A-Za-z]|\x1b[O[][A-Za-z]/g, '')) {
          if (ch === '\r' || ch === '\n') {
            if (line.trim()) typed.push(line);
            line = '';
          } else if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
          else if (ch >= ' ') line += ch;
        }
      } catch {
        // skipped
      }
    }
    $('typed').textContent = typed.join('\n');
    AsciinemaPlayer.create({ data: text }, $('player'), { fit: 'width', idleTimeLimit: 2, poster: `npt:${end + 1}` });
  }
  // A session without a terminal, exec or file transfer shows no empty heading for it.
  for (const section of document.querySelectorAll('section')) {
    const body = section.lastElementChild!;
    if (body.tagName === 'TABLE' ? body.querySelectorAll('tr').length <= 1 : !body.hasChildNodes() || body.textContent === '') section.hidden = true;
  }
  const box = $('verdict');
  try {
    const v = await verifyEvidence(bundle);
    box.className = v.ok ? 'valid' : 'invalid';
    box.textContent = v.ok
      ? `VALID: ${v.events} event${v.events === 1 ? '' : 's'} and ${v.recordings} recording${v.recordings === 1 ? '' : 's'} proven by ${v.checkpoints} signed checkpoint${v.checkpoints === 1 ? '' : 's'}`
      : `DOES NOT VERIFY: ${v.problems.join('; ')}`;
    $('fingerprint').textContent = `signing key ${v.fingerprint}: compare it with the fingerprint your organisation published`;
  } catch (err) {
    box.className = 'invalid';
    box.textContent = `could not verify in this browser: ${String(err)}`;
  }
}
