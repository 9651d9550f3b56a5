// The lines a user entered on a terminal, rebuilt from the recorded input (backspace and Ctrl-C applied, cursor keys
// and other escape sequences dropped), each with the time its Enter was pressed: the moment the command ran.

export interface TypedLine {
  offset: number;
  text: string;
}

const ESCAPES = /\x1b\[[0-9;]*[A-Za-z]|\x1b[O[][A-Za-z]/g;

export function typedLinesAt(inputs: { time: number; data: string }[]): TypedLine[] {
  const lines: TypedLine[] = [];
  let line = '';
  let last = 0;
  for (const { time, data } of inputs) {
    last = time;
    for (const ch of data.replace(ESCAPES, '')) {
      if (ch === '\r' || ch === '\n') {
        if (line.trim()) lines.push({ offset: time, text: line });
        line = '';
      } else if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
      else if (ch === '\x03') line = '';
      else if (ch >= ' ') line += ch;
    }
  }
  if (line.trim()) lines.push({ offset: last, text: line });
  return lines;
}
