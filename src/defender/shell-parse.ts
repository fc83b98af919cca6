// A conservative shell tokenizer/parser for the command guard. It understands quoting, escapes, ANSI-C
// strings, expansions, substitutions, pipes, lists, redirections, heredocs, subshells, groups and
// function bodies, and reports everything it cannot resolve statically as an issue (the guard turns
// issues into review). Single pass over the input, recursion bounded by MAX_DEPTH.

/** One shell word after quote removal. Expansions keep their source text (e.g. `$HOME`). */
export interface Word {
  value: string;
  /** True when the word has no expansion, substitution, glob or brace: its value is exactly what runs. */
  literal: boolean;
  expansion: boolean;
  substitution: boolean;
  glob: boolean;
  brace: boolean;
  quoted: boolean;
}

/** A redirection such as `> /dev/sda` or `2>&1`. */
export interface Redirect { op: string; target: string }

/** One simple command with its context in the line. */
export interface SimpleCommand {
  words: Word[];
  assigns: string[];
  redirects: Redirect[];
  /** Heredoc or here-string bodies fed to this command's stdin. */
  stdin: string[];
  /** Index (in the result list) of the command piping into this one, or -1. */
  pipeFrom: number;
  context: 'top' | 'substitution' | 'subshell' | 'function' | 'process';
  /** Name of the function this command defines, if it is `name() { ... }`'s body owner. */
  defines?: string;
}

/** Parse result: the commands found (nested ones included) and what could not be understood. */
export interface ParsedShell { commands: SimpleCommand[]; issues: string[] }

const MAX_DEPTH = 6;
const MAX_LEN = 64 * 1024;
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'for', 'case', 'esac', 'select', 'in', 'function', '!', '{', '}', '[[', ']]', 'time', 'coproc']);
const LOOP_WORDS = new Set(['for', 'while', 'until', 'case', 'select', 'coproc']);

class Parser {
  i = 0;
  readonly out: ParsedShell;
  pendingHeredocs: Array<{ delim: string; strip: boolean; cmd: SimpleCommand }> = [];

  readonly s: string;
  readonly depth: number;
  readonly context: SimpleCommand['context'];

  constructor(s: string, out: ParsedShell, depth: number, context: SimpleCommand['context']) {
    this.s = s;
    this.out = out;
    this.depth = depth;
    this.context = context;
  }

  issue(name: string): void {
    if (!this.out.issues.includes(name)) this.out.issues.push(name);
  }

  /** Parses a whole list of pipelines until the end of input (or `stop` at top level). */
  parseList(stop?: string): void {
    let cmd = this.newCmd(-1);
    let prevPipe = -1;
    const finish = (pipe: boolean): void => {
      const idx = this.commit(cmd);
      prevPipe = pipe ? idx : -1;
      cmd = this.newCmd(prevPipe);
    };
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (stop && c === stop) { this.i++; break; }
      if (c === ' ' || c === '\t') { this.i++; continue; }
      if (c === '\\' && this.s[this.i + 1] === '\n') { this.i += 2; continue; }
      if (c === '#' ) { while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++; continue; }
      if (c === '\n') { this.i++; finish(false); this.readHeredocs(); continue; }
      if (c === ';' || c === '&') {
        if (c === '&' && this.s[this.i + 1] === '>') { this.redirect(cmd); continue; }
        this.i += this.s[this.i + 1] === c ? 2 : 1;
        finish(false);
        continue;
      }
      if (c === '|') {
        if (this.s[this.i + 1] === '|') { this.i += 2; finish(false); continue; }
        this.i += this.s[this.i + 1] === '&' ? 2 : 1;
        finish(true);
        continue;
      }
      if (c === '(') {
        if (cmd.words.length === 1 && this.s[this.i + 1] === ')') {
          // name() { body } : a function definition.
          this.i += 2;
          this.issue('function_definition');
          const name = cmd.words[0]!.value;
          this.skipSpace();
          const body = this.captureGroup();
          const inner = this.nested(body, 'function');
          for (const k of inner) k.defines = name;
          cmd = this.newCmd(-1);
          continue;
        }
        this.i++;
        if (this.s[this.i] === '(') { this.issue('arithmetic'); this.captureUntil('))'); continue; }
        this.issue('subshell');
        const body = this.captureBalanced('(', ')');
        this.nested(body, 'subshell');
        continue;
      }
      if (c === ')') { this.issue('parse_error'); this.i++; continue; }
      if ((c === '<' || c === '>') || (/[0-9]/.test(c) && /[<>]/.test(this.s[this.i + 1] ?? ''))) {
        if ((c === '<' || c === '>') && this.s[this.i + 1] === '(') {
          this.issue('process_substitution');
          this.i += 2;
          const body = this.captureBalanced('(', ')');
          this.nested(body, 'process');
          cmd.words.push({ value: '/dev/fd/63', literal: false, expansion: false, substitution: true, glob: false, brace: false, quoted: false });
          continue;
        }
        this.redirect(cmd);
        continue;
      }
      const w = this.word();
      if (cmd.words.length === 0 && !w.quoted && /^[A-Za-z_][A-Za-z0-9_]*=/.test(w.value)) { cmd.assigns.push(w.value); continue; }
      if (cmd.words.length === 0 && !w.quoted && KEYWORDS.has(w.value)) {
        if (LOOP_WORDS.has(w.value)) this.issue('control_flow');
        if (w.value === 'function') this.issue('function_definition');
        if (w.value === 'for' || w.value === 'select' || w.value === 'case') this.skipHeader();
        continue;
      }
      cmd.words.push(w);
    }
    this.commit(cmd);
    this.readHeredocs();
    if (this.pendingHeredocs.length) { this.issue('unterminated_heredoc'); this.pendingHeredocs = []; }
  }

  newCmd(pipeFrom: number): SimpleCommand {
    return { words: [], assigns: [], redirects: [], stdin: [], pipeFrom, context: this.context };
  }

  commit(cmd: SimpleCommand): number {
    if (cmd.words.length === 0 && cmd.assigns.length === 0 && cmd.redirects.length === 0) return -1;
    this.out.commands.push(cmd);
    return this.out.commands.length - 1;
  }

  skipSpace(): void { while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++; }

  /** `for x in a b; do` / `case $x in`: skip the header words up to the first `;`, newline or `do`. */
  skipHeader(): void {
    while (this.i < this.s.length && this.s[this.i] !== ';' && this.s[this.i] !== '\n') {
      this.skipSpace();
      if (this.s.startsWith('do ', this.i) || this.s.startsWith('in\n', this.i)) break;
      const at = this.i;
      if (this.i < this.s.length && this.s[this.i] !== ';' && this.s[this.i] !== '\n') this.word();
      if (this.i === at) break;
    }
  }

  nested(body: string, context: SimpleCommand['context']): SimpleCommand[] {
    if (this.depth >= MAX_DEPTH) { this.issue('too_deep'); return []; }
    const before = this.out.commands.length;
    new Parser(body, this.out, this.depth + 1, context).parseList();
    return this.out.commands.slice(before);
  }

  /** Reads `{ ... }` (or a single command) after a function header. */
  captureGroup(): string {
    if (this.s[this.i] === '{') { this.i++; return this.captureBalanced('{', '}'); }
    if (this.s[this.i] === '(') { this.i++; return this.captureBalanced('(', ')'); }
    return '';
  }

  /** Captures text up to the matching close character, honouring quotes. Cursor ends after it. */
  captureBalanced(open: string, close: string): string {
    const start = this.i;
    let depth = 1;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === '\\') { this.i += 2; continue; }
      if (c === "'") { const e = this.s.indexOf("'", this.i + 1); if (e === -1) { this.issue('unterminated_quote'); this.i = this.s.length; break; } this.i = e + 1; continue; }
      if (c === '"') { this.skipDouble(); continue; }
      if (c === open) depth++;
      else if (c === close && --depth === 0) { this.i++; return this.s.slice(start, this.i - 1); }
      this.i++;
    }
    this.issue('unbalanced_' + open);
    return this.s.slice(start);
  }

  captureUntil(end: string): string {
    const e = this.s.indexOf(end, this.i);
    const body = this.s.slice(this.i, e === -1 ? this.s.length : e);
    this.i = e === -1 ? this.s.length : e + end.length;
    return body;
  }

  skipDouble(): void {
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.i >= this.s.length) this.issue('unterminated_quote');
    this.i++;
  }

  redirect(cmd: SimpleCommand): void {
    let op = '';
    while (this.i < this.s.length && /[0-9<>&|-]/.test(this.s[this.i]!) && op.length < 4) {
      op += this.s[this.i]; this.i++;
      if (op.endsWith('>&') || op.endsWith('<&')) { if (/[0-9-]/.test(this.s[this.i] ?? '')) { op += this.s[this.i]; this.i++; } break; }
    }
    this.skipSpace();
    if (/^[0-9]*>&[0-9-]$/.test(op) || /^[0-9]*<&[0-9-]$/.test(op)) { cmd.redirects.push({ op, target: '' }); return; }
    if (op.endsWith('<<<')) { const w = this.word(); cmd.stdin.push(w.value); this.issue('here_string'); if (!w.literal) this.issue('command_substitution'); return; }
    if (op.endsWith('<<') || op.endsWith('<<-')) {
      const w = this.word();
      this.pendingHeredocs.push({ delim: w.value, strip: op.endsWith('-'), cmd });
      this.issue('heredoc');
      return;
    }
    const w = this.word();
    if (!w.value) this.issue('parse_error');
    cmd.redirects.push({ op, target: w.value });
  }

  readHeredocs(): void {
    while (this.pendingHeredocs.length) {
      const h = this.pendingHeredocs.shift()!;
      let body = '';
      for (;;) {
        if (this.i >= this.s.length) { this.issue('unterminated_heredoc'); break; }
        const nl = this.s.indexOf('\n', this.i);
        const line = this.s.slice(this.i, nl === -1 ? this.s.length : nl);
        this.i = nl === -1 ? this.s.length : nl + 1;
        if ((h.strip ? line.replace(/^\t+/, '') : line) === h.delim) break;
        body += line + '\n';
      }
      h.cmd.stdin.push(body);
    }
  }

  /** Reads one word with quote removal; marks expansions, substitutions, globs and braces. */
  word(): Word {
    const w: Word = { value: '', literal: true, expansion: false, substitution: false, glob: false, brace: false, quoted: false };
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (' \t\n;&|()<>'.includes(c)) break;
      if (c === '\\') { if (s[this.i + 1] !== '\n') w.value += s[this.i + 1] ?? ''; this.i += 2; continue; }
      if (c === "'") {
        w.quoted = true;
        const e = s.indexOf("'", this.i + 1);
        if (e === -1) { this.issue('unterminated_quote'); w.value += s.slice(this.i + 1); this.i = s.length; break; }
        w.value += s.slice(this.i + 1, e); this.i = e + 1; continue;
      }
      if (c === '$' && s[this.i + 1] === "'") { w.quoted = true; this.i += 2; w.value += this.ansiC(); continue; }
      if (c === '"') { w.quoted = true; this.i++; this.double(w); continue; }
      if (c === '$' || c === '`') { this.dollar(w); continue; }
      if (c === '*' || c === '?' || c === '[') w.glob = true;
      if (c === '{') {
        // Bounded look-ahead keeps this linear: brace expansion needs a comma or `..` before the close.
        const seg = s.slice(this.i, this.i + 256);
        const close = seg.indexOf('}');
        if (close > 0 && (seg.slice(0, close).includes(',') || seg.slice(0, close).includes('..'))) w.brace = true;
      }
      w.value += c; this.i++;
    }
    w.literal = !w.expansion && !w.substitution && !w.glob && !w.brace;
    return w;
  }

  double(w: Word): void {
    const s = this.s;
    while (this.i < s.length && s[this.i] !== '"') {
      const c = s[this.i]!;
      if (c === '\\' && '$`"\\\n'.includes(s[this.i + 1] ?? '')) { if (s[this.i + 1] !== '\n') w.value += s[this.i + 1]; this.i += 2; continue; }
      if (c === '$' || c === '`') { this.dollar(w); continue; }
      w.value += c; this.i++;
    }
    if (this.i >= s.length) this.issue('unterminated_quote');
    this.i++;
  }

  /** `$x`, `${x}`, `$(cmd)`, `$((expr))`, `` `cmd` ``: keeps the source text in the value. */
  dollar(w: Word): void {
    const s = this.s;
    const start = this.i;
    if (s[this.i] === '`') {
      this.i++;
      const e = s.indexOf('`', this.i);
      const body = s.slice(this.i, e === -1 ? s.length : e);
      this.i = e === -1 ? s.length : e + 1;
      if (e === -1) this.issue('unterminated_quote');
      this.issue('backticks'); w.substitution = true;
      this.nested(body, 'substitution');
    } else if (s[this.i + 1] === '(' && s[this.i + 2] === '(') {
      this.i += 3; this.captureUntil('))'); w.expansion = true; this.issue('arithmetic');
    } else if (s[this.i + 1] === '(') {
      this.i += 2;
      const body = this.captureBalanced('(', ')');
      this.issue('command_substitution'); w.substitution = true;
      this.nested(body, 'substitution');
    } else if (s[this.i + 1] === '{') {
      this.i += 2; this.captureBalanced('{', '}'); w.expansion = true;
    } else if (/[A-Za-z_0-9@*#?$!-]/.test(s[this.i + 1] ?? '')) {
      this.i++;
      if (/[A-Za-z_]/.test(s[this.i]!)) while (this.i < s.length && /[A-Za-z0-9_]/.test(s[this.i]!)) this.i++;
      else this.i++;
      w.expansion = true;
    } else { w.value += '$'; this.i++; return; }
    w.value += s.slice(start, this.i);
  }

  ansiC(): string {
    const s = this.s;
    let out = '';
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v', '\\': '\\', "'": "'", '"': '"', '?': '?' };
    while (this.i < s.length && s[this.i] !== "'") {
      if (s[this.i] !== '\\') { out += s[this.i]; this.i++; continue; }
      const n = s[this.i + 1] ?? '';
      let m: RegExpMatchArray | null;
      if (map[n] !== undefined) { out += map[n]; this.i += 2; }
      else if ((m = s.slice(this.i + 2, this.i + 4).match(/^[0-9a-fA-F]{1,2}/)) && n === 'x') { out += String.fromCharCode(parseInt(m[0], 16)); this.i += 2 + m[0].length; }
      else if ((m = s.slice(this.i + 2, this.i + 10).match(/^[0-9a-fA-F]{1,8}/)) && (n === 'u' || n === 'U')) { out += String.fromCodePoint(Math.min(parseInt(m[0], 16), 0x10ffff)); this.i += 2 + m[0].length; }
      else if ((m = s.slice(this.i + 1, this.i + 4).match(/^[0-7]{1,3}/))) { out += String.fromCharCode(parseInt(m[0], 8)); this.i += 1 + m[0].length; }
      else { out += n; this.i += 2; }
    }
    if (this.i >= s.length) this.issue('unterminated_quote');
    this.i++;
    return out;
  }
}

/**
 * Parses a shell line (or script). Never throws; unknowns go to `issues`.
 * @example parseShell("r''m -rf /").commands[0].words.map((w) => w.value) // ['rm', '-rf', '/']
 */
export function parseShell(line: string, depth = 0): ParsedShell {
  const out: ParsedShell = { commands: [], issues: [] };
  if (line.includes('\0')) out.issues.push('nul_byte');
  if (line.length > MAX_LEN) out.issues.push('too_long');
  const p = new Parser(line.length > MAX_LEN ? line.slice(0, MAX_LEN) : line.replace(/\0/g, ' '), out, depth, 'top');
  p.parseList();
  return out;
}
