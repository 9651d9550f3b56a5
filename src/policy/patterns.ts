// What a command rule matches, compiled once per policy. Regular expressions run on RE2's linear-time engine (re2js):
// a rule written by an admin, matched against a line an attacker types, must never backtrack for ever.
// A command is matched as written and as a POSIX shell would read its words (quotes and backslashes removed), so
// `cu""rl` and `c\url` are seen as `curl`. Matching a line is not sandboxing: a script, an alias or an encoded
// payload runs what no line shows (README, "Command rules").
import { RE2JS } from 're2js';

/** Exactly one of these. */
export interface Pattern {
  /** The whole command, character for character. */
  exact?: string;
  /** The whole command; `*` matches anything (spaces too), `?` one character. */
  glob?: string;
  /** RE2 syntax, found anywhere in the command unless anchored; `(?i)` for case-insensitive. */
  regex?: string;
  /** Program names (or globs): any simple command of the line runs one of them, by name or path (`/usr/bin/curl`). */
  program?: string[];
}

export type Matcher = (command: string) => boolean;

/** Longest command or line looked at; a longer one is cut here (and the cut part cannot hide a match before it). */
export const MAX_COMMAND = 64 * 1024;

function globRe(pattern: string): RE2JS {
  let re = '';
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '?' ? '.' : /[\w\s]/.test(ch) ? ch : `\\${ch}`;
  return RE2JS.compile(`^(?:${re})$`, RE2JS.DOTALL);
}

/** Throws with a one-line reason for a pattern that cannot be compiled (the policy loader shows it with its line). */
export function compilePattern(p: Pattern): Matcher {
  const kinds = (['exact', 'glob', 'regex', 'program'] as const).filter((k) => p[k] !== undefined);
  if (kinds.length !== 1) throw new Error('a pattern is exactly one of exact, glob, regex or program');
  if (p.exact !== undefined) {
    const exact = p.exact;
    return (c) => c === exact || words(c).join(' ') === exact;
  }
  if (p.glob !== undefined) {
    const re = globRe(p.glob);
    return (c) => re.matches(c) || re.matches(words(c).join(' '));
  }
  if (p.regex !== undefined) {
    const re = compileRegex(p.regex);
    return (c) => re.matcher(c).find() || re.matcher(words(c).join(' ')).find();
  }
  const names = p.program!.map(globRe);
  return (c) => programs(c).some((prog) => names.some((n) => n.matches(prog) || n.matches(prog.slice(prog.lastIndexOf('/') + 1))));
}

function compileRegex(source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (e) {
    throw new Error(`not a regular expression RE2 accepts (${(e as Error).message.replace(/^error parsing regexp: /, '')})`);
  }
}

/** Separators between simple commands, as the shell reads them outside quotes. */
const SEPARATORS = new Set([';', '|', '&', '(', ')', '`', '\n']);

/**
 * The words of a shell line after quote removal, with each command separator as its own word. Not a shell: enough to
 * see through quoting and escapes, which is how filters are commonly bypassed.
 */
export function words(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '' | "'" | '"' = '';
  const end = () => {
    if (inWord) out.push(word);
    word = '';
    inWord = false;
  };
  const text = line.length > MAX_COMMAND ? line.slice(0, MAX_COMMAND) : line;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") quote = '';
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = '';
      else if (ch === '\\' && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) word += text[++i];
      else if ((ch === '$' && text[i + 1] === '(') || ch === '`') {
        // A command substitution reads its own quotes: leave the double quotes (the closing one then opens a quote
        // that does not close, which only ever makes more of the line visible).
        end();
        out.push(ch === '`' ? '`' : '(');
        if (ch === '$') i++;
        quote = '';
      } else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\') {
      if (i + 1 < text.length && text[i + 1] !== '\n') {
        word += text[++i];
        inWord = true;
      } else i++;
    } else if (ch === ' ' || ch === '\t') end();
    else if (SEPARATORS.has(ch)) {
      end();
      out.push(ch);
    } else if (ch === '$' && text[i + 1] === '(') {
      end();
      out.push('(');
      i++;
    } else {
      word += ch;
      inWord = true;
    }
  }
  end();
  return out;
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Words that run the next word as a command. */
const PREFIXES = new Set(['sudo', 'env', 'exec', 'nohup', 'time', 'command', 'builtin', 'nice', 'doas', 'xargs', 'timeout', 'stdbuf', '!', '{', 'then', 'do', 'else', 'if', 'while', 'until']);

/** The programs a line runs: the first word of each simple command, past assignments and wrappers like sudo. */
export function programs(line: string): string[] {
  const out: string[] = [];
  let expectCommand = true;
  let afterOption = false;
  for (const w of words(line)) {
    if (SEPARATORS.has(w)) {
      expectCommand = true;
      afterOption = false;
      continue;
    }
    if (!expectCommand) continue;
    if (ASSIGNMENT.test(w)) continue; // VAR=x cmd
    if (w.startsWith('-')) {
      afterOption = true; // sudo -u root cmd: the option's value may be the command or not; both are looked at
      continue;
    }
    out.push(w);
    if (afterOption) afterOption = false;
    else if (!PREFIXES.has(w.slice(w.lastIndexOf('/') + 1))) expectCommand = false;
  }
  return out;
}
