// The evidence bundle's proof and its one verifier. `verifyEvidence` uses nothing but WebCrypto (crypto.subtle:
// SHA-256, Ed25519), TextEncoder and atob, and refers to nothing outside itself: the CLI calls it under Node, and the
// HTML page carries its source text (`verifyEvidence.toString()`) and runs the very same code in the browser, so the
// two cannot drift. It must stay self-contained: no imports, no helpers outside the function body.

/** What an evidence page embeds: chain lines up to signed checkpoints, the key, and the recordings' bytes. */
export interface EvidenceBundle {
  v: 1;
  auditKey: string;
  chain: string;
  /** The ed25519 public key, its 32 raw bytes in base64, and its OpenSSH-style fingerprint. */
  publicKey: string;
  keyFingerprint: string;
  /** Runs of consecutive chain lines, each ending with a version 2 checkpoint line; the texts exactly as written. */
  ranges: { lines: string[] }[];
  /** Each recording by its path as sealed, the file's bytes in base64. */
  recordings: { name: string; path: string; base64: string }[];
}

export interface EvidenceVerdict {
  ok: boolean;
  /** The fingerprint of the key embedded in the bundle (computed, not taken from the bundle's word). */
  fingerprint: string;
  /** undefined: no pinned fingerprint was given. */
  pinned?: boolean;
  problems: string[];
  events: number;
  checkpoints: number;
  recordings: number;
}

/** Checks a bundle; pinned: the fingerprint the auditor holds. Self-contained: its source text runs in the page. */
export async function verifyEvidence(bundle: EvidenceBundle, pinned?: string): Promise<EvidenceVerdict> {
  const subtle = globalThis.crypto.subtle;
  const enc = new TextEncoder();
  const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
  const sha = async (data: Uint8Array) => hex(await subtle.digest('SHA-256', data as BufferSource));
  const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const toB64 = (b: Uint8Array) => btoa(Array.from(b, (x) => String.fromCharCode(x)).join(''));
  const problems: string[] = [];
  const verdict = { ok: false, fingerprint: '', problems, events: 0, checkpoints: 0, recordings: 0 } as EvidenceVerdict;
  // The fingerprint as `ssh-keygen -l` prints it: SHA256 of the ssh-ed25519 blob, base64 without padding.
  let raw: Uint8Array;
  try {
    raw = fromB64(bundle.publicKey);
    if (raw.length !== 32) throw new Error('length');
  } catch {
    problems.push('the embedded public key is not an ed25519 key');
    return verdict;
  }
  const name = enc.encode('ssh-ed25519');
  const blob = new Uint8Array(4 + name.length + 4 + 32);
  const view = new DataView(blob.buffer);
  view.setUint32(0, name.length);
  blob.set(name, 4);
  view.setUint32(4 + name.length, 32);
  blob.set(raw, 8 + name.length);
  verdict.fingerprint = `SHA256:${toB64(new Uint8Array(await subtle.digest('SHA-256', blob))).replace(/=+$/, '')}`;
  if (pinned !== undefined) {
    verdict.pinned = pinned.trim() === verdict.fingerprint;
    if (!verdict.pinned) problems.push(`the signing key is ${verdict.fingerprint}, not the pinned ${pinned.trim()}`);
  }
  const key = await subtle.importKey('raw', raw as BufferSource, { name: 'Ed25519' }, false, ['verify']);
  type Line = { seq?: number; prev?: string; eventName?: string; sessionId?: string; details?: Record<string, unknown>; checkpoint?: Record<string, unknown> & { signature?: string } };
  const label = (p: Line | undefined, i: number) =>
    p?.checkpoint ? `checkpoint seq ${p.seq}` : p ? `event seq ${p.seq} (${p.eventName})` : `the line at position ${i + 1} of its range`;
  const sealed = new Map<string, string>();
  for (const [r, range] of bundle.ranges.entries()) {
    const parsed: (Line | undefined)[] = range.lines.map((l) => {
      try {
        return JSON.parse(l) as Line;
      } catch {
        return undefined;
      }
    });
    const hashes = await Promise.all(range.lines.map((l) => sha(enc.encode(l))));
    const bad = new Set<number>();
    for (let i = 0; i < range.lines.length; i++) {
      const p = parsed[i];
      if (!p) {
        problems.push(`${label(p, i)} (range ${r + 1}) does not verify: not valid JSON`);
        bad.add(i);
        continue;
      }
      const next = parsed[i + 1];
      if (next && (next.prev !== hashes[i] || next.seq !== (p.seq ?? NaN) + 1) && !bad.has(i)) {
        problems.push(`${label(p, i)} does not verify: its hash does not match the next line's prev`);
        bad.add(i);
      }
    }
    const last = parsed.at(-1);
    const c = last?.checkpoint;
    if (!last || !c || c.v !== 2 || range.lines.length < 2) {
      problems.push(`range ${r + 1} does not end with a signed checkpoint`);
      continue;
    }
    const before = parsed.at(-2);
    if (c.last !== hashes.at(-2) || c.headSeq !== before?.seq) {
      if (!bad.has(range.lines.length - 2)) problems.push(`${label(before, range.lines.length - 2)} does not verify: its hash does not match the checkpoint's`);
      bad.add(range.lines.length - 2);
    }
    const { v, chain, segment, lines, headSeq, prevCheckpoint, at, final, recordings, keyFingerprint } = c;
    const covered = (recordings as { path: string; sha256: string; bytes?: number }[]).map((x) => ({ path: x.path, sha256: x.sha256, ...(x.bytes === undefined ? {} : { bytes: x.bytes }) }));
    const body = enc.encode(`fumidai-audit-checkpoint-v2\n${JSON.stringify({ v, chain, segment, lines, last: c.last, headSeq, prevCheckpoint, at, final, recordings: covered, keyFingerprint })}`);
    let signed = false;
    try {
      signed = await subtle.verify({ name: 'Ed25519' }, key, fromB64(c.signature ?? '') as BufferSource, body as BufferSource);
    } catch {
      signed = false;
    }
    if (!signed) problems.push(`${label(last, range.lines.length - 1)} does not verify: its signature does not match the embedded key`);
    else if (keyFingerprint !== verdict.fingerprint) problems.push(`${label(last, range.lines.length - 1)} names key ${String(keyFingerprint)}, not the embedded one`);
    else verdict.checkpoints++;
    // Only the lines of a range whose checkpoint verified, and which verify themselves, are proven.
    if (!signed) continue;
    parsed.forEach((p, i) => {
      if (!p || bad.has(i) || p.checkpoint || p.sessionId !== bundle.auditKey) return;
      verdict.events++;
      const d = p.details ?? {};
      if ((p.eventName === 'RecordingSealed' || p.eventName === 'RecordingInterrupted') && typeof d.path === 'string' && typeof d.sha256 === 'string') {
        sealed.set(d.path, d.sha256);
      }
    });
  }
  for (const rec of bundle.recordings) {
    const want = sealed.get(rec.path);
    let got = '';
    try {
      got = await sha(fromB64(rec.base64));
    } catch {
      got = 'undecodable';
    }
    if (!want) problems.push(`recording ${rec.name} is not named by a proven RecordingSealed event`);
    else if (got !== want) problems.push(`recording ${rec.name} does not match its sealed sha256`);
    else verdict.recordings++;
  }
  if (verdict.events === 0 && problems.length === 0) problems.push(`no event of session ${bundle.auditKey} is proven`);
  verdict.ok = problems.length === 0;
  return verdict;
}
