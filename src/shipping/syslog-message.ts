// RFC 5424 syslog messages, as the syslog anchor sends them and a SIEM's file holds them (rsyslog's
// RSYSLOG_SyslogProtocol23Format writes the message as received, one a line). Pure over strings. A checkpoint
// travels as MSGID `checkpoint`, with chain and seq as structured data for the SIEM to index, and the checkpoint line
// itself, verbatim, as MSG: JSON, so one line, and re-verifiable with the audit key alone.

/** The SD-ID: a name@enterprise number (RFC 5424 7.2.2); fumidai has none of its own, so RFC 5612's example one. */
export const SD_ID = 'fumidai@32473';
export const CHECKPOINT_MSGID = 'checkpoint';
/** Severity 5, notice: normal but significant. */
const NOTICE = 5;

export interface SyslogMessage {
  facility: number;
  severity: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** Structured data: SD-ID to its parameters (a repeated name keeps its last value). */
  sd: Map<string, Record<string, string>>;
  msg: string;
}

/** SD-PARAM value escaping (RFC 5424 6.3.3): '"', '\' and ']' take a backslash. */
export const escapeParamValue = (v: string) => v.replace(/["\\\]]/g, (c) => `\\${c}`);

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$/;

/** A header field: PRINTUSASCII without spaces, at most `max` characters; the NILVALUE `-` when empty. */
function field(v: string, max: number, name: string): string {
  if (v === '') return '-';
  if (!/^[\x21-\x7e]+$/.test(v) || v.length > max) throw new Error(`syslog ${name} '${v}' is not 1 to ${max} printable ASCII characters`);
  return v;
}

/** An SD-NAME (an SD-ID or a parameter name): 1 to 32 printable ASCII characters but '=', ']', '"' and space. */
function sdName(v: string): string {
  if (!/^[\x21-\x7e]{1,32}$/.test(v) || /[=\]"]/.test(v)) throw new Error(`'${v}' is not a syslog SD-NAME`);
  return v;
}

/** One RFC 5424 message, without framing. */
export function formatMessage(m: Omit<SyslogMessage, 'sd'> & { sd: [string, Record<string, string>][] }): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23 || !Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7) throw new Error('syslog facility 0-23, severity 0-7');
  if (m.timestamp !== '' && !RFC3339.test(m.timestamp)) throw new Error(`syslog timestamp '${m.timestamp}' is not RFC 3339`);
  const header = [
    `<${m.facility * 8 + m.severity}>1`,
    m.timestamp || '-',
    field(m.hostname, 255, 'hostname'),
    field(m.appName, 48, 'app-name'),
    field(m.procId, 128, 'procid'),
    field(m.msgId, 32, 'msgid'),
  ].join(' ');
  const sd = m.sd.length ? m.sd.map(([id, params]) => `[${sdName(id)}${Object.entries(params).map(([k, v]) => ` ${sdName(k)}="${escapeParamValue(v)}"`).join('')}]`).join('') : '-';
  return `${header} ${sd}${m.msg ? ` ${m.msg}` : ''}`;
}

/** RFC 6587 octet-counting framing: the message's length in bytes, a space, the message. */
export function frame(message: string): Buffer {
  const body = Buffer.from(message);
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}

export interface SyslogSender {
  facility: number;
  hostname: string;
  appName: string;
}

/** The message that anchors one checkpoint line; its TIMESTAMP is when the checkpoint was signed. */
export function checkpointMessage(sender: SyslogSender, chain: string, seq: number, line: string): string {
  let at = '';
  try {
    at = String((JSON.parse(line) as { checkpoint?: { at?: unknown } }).checkpoint?.at ?? '');
  } catch {
    // the line is sent as it is whatever it holds; only the timestamp needs it
  }
  return formatMessage({
    facility: sender.facility,
    severity: NOTICE,
    timestamp: RFC3339.test(at) ? at : new Date().toISOString(),
    hostname: sender.hostname,
    appName: sender.appName,
    procId: String(process.pid),
    msgId: CHECKPOINT_MSGID,
    sd: [[SD_ID, { chain, seq: String(seq) }]],
    msg: line,
  });
}

const HEADER = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /;

/** Reads one message as a SIEM file holds it; undefined for anything that is not RFC 5424. Never throws. */
export function parseMessage(text: string): SyslogMessage | undefined {
  const h = HEADER.exec(text);
  if (!h || Number(h[1]) > 191) return undefined;
  const sd = new Map<string, Record<string, string>>();
  let i = h[0].length;
  if (text[i] === '-') i++;
  else if (text[i] !== '[') return undefined;
  while (text[i] === '[') {
    const id = /^[^ \]="]{1,32}/.exec(text.slice(i + 1, i + 34))?.[0];
    if (!id) return undefined;
    i += 1 + id.length;
    const params = Object.create(null) as Record<string, string>; // a parameter named __proto__ stays a parameter
    while (text[i] === ' ') {
      const name = /^[^ \]="]{1,32}/.exec(text.slice(i + 1, i + 34))?.[0];
      if (!name || text[i + 1 + name.length] !== '=' || text[i + 2 + name.length] !== '"') return undefined;
      i += 3 + name.length;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) return undefined;
        if (c === '"') break;
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === ']')) {
          value += text[i + 1];
          i += 2;
        } else {
          value += c;
          i++;
        }
      }
      params[name] = value;
      i++;
    }
    if (text[i] !== ']') return undefined;
    i++;
    sd.set(id, params);
  }
  if (i < text.length && text[i] !== ' ') return undefined;
  const pri = Number(h[1]);
  return { facility: pri >> 3, severity: pri & 7, timestamp: h[2]!, hostname: h[3]!, appName: h[4]!, procId: h[5]!, msgId: h[6]!, sd, msg: text.slice(i + 1) };
}
