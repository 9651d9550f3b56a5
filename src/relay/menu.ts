// The target menu shown to `ssh alice@bastion` with no target. Input handling is a pure function of
// (state, input bytes) so it is tested without sockets; menu-prompt.ts does the I/O.

export interface MenuEntry {
  target: string;
  login: string;
}

export interface MenuState {
  entries: readonly MenuEntry[];
  line: string;
}

export type MenuStep =
  | { kind: 'continue'; state: MenuState; output: string }
  | { kind: 'chosen'; entry: MenuEntry; output: string; rest: string }
  | { kind: 'quit'; output: string };

export function renderMenu(user: string, entries: readonly MenuEntry[]): string {
  if (entries.length === 0) return `Hello ${user}. You have no targets; ask an administrator for a grant.\r\n`;
  const rows = entries.map((e, i) => `  ${String(i + 1).padStart(2)}) ${e.login}@${e.target}`);
  return [`Hello ${user}. Targets you may reach:`, ...rows, '', 'Number or name (q to quit): '].join('\r\n');
}

export function menuInput(state: MenuState, input: string): MenuStep {
  let line = state.line;
  let output = '';
  const chars = [...input];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '\r' || ch === '\n') {
      const answer = line.trim();
      output += '\r\n';
      if (answer === 'q' || answer === 'quit' || answer === 'exit') return { kind: 'quit', output };
      const entry = choose(state.entries, answer);
      if (entry) return { kind: 'chosen', entry, output, rest: chars.slice(i + 1).join('').replace(/^\n/, '') };
      if (answer) output += `No target '${answer}'. `;
      output += 'Number or name (q to quit): ';
      line = '';
    } else if (ch === '\x03' || ch === '\x04') {
      return { kind: 'quit', output: output + '\r\n' };
    } else if (ch === '\x7f' || ch === '\b') {
      if (line.length > 0) {
        line = line.slice(0, -1);
        output += '\b \b';
      }
    } else if (ch >= ' ' && line.length < 128) {
      line += ch;
      output += ch;
    }
  }
  return { kind: 'continue', state: { ...state, line }, output };
}

function choose(entries: readonly MenuEntry[], answer: string): MenuEntry | undefined {
  if (/^\d+$/.test(answer)) return entries[Number(answer) - 1];
  const at = answer.lastIndexOf('@');
  const [login, target] = at === -1 ? [undefined, answer] : [answer.slice(0, at), answer.slice(at + 1)];
  return entries.find((e) => e.target === target && (login === undefined || e.login === login));
}
