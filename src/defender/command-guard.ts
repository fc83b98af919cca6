// command_guard: parses a shell line, unwraps wrappers (sudo, env, nice, timeout, xargs, find -exec, ...),
// recurses into inline code (bash -c, eval, heredocs to interpreters, python -c string literals), applies
// the rule packs, and turns anything it cannot resolve statically into a review floor (never allow).
import { argvRules, isInterpreter, isSecretPath, sqlRules, type Argv } from './command-rules.ts';
import { pathRules } from './host-guard.ts';
import { parseShell, type SimpleCommand, type Word } from './shell-parse.ts';
import type { Reason } from './types.ts';

const G = 'command_guard' as const;
const MAX_DEPTH = 4;

/** Options for the command guard. */
export interface CommandScanOptions { allowedPrefixes?: readonly string[]; protectedPaths?: readonly string[] }

const NOT_UNDERSTOOD: Record<string, string> = {
  command_substitution: 'command substitution $(...)', backticks: 'backtick substitution', process_substitution: 'process substitution <(...)',
  unterminated_quote: 'unterminated quote', unterminated_heredoc: 'unterminated heredoc', parse_error: 'parse error', nul_byte: 'NUL byte',
  too_long: 'command longer than 64 KiB', too_deep: 'nesting too deep', function_definition: 'function definition', control_flow: 'loop or case statement',
  'unbalanced_(': 'unbalanced parenthesis', 'unbalanced_{': 'unbalanced brace', here_string: 'here-string',
};

// Wrappers: name -> how many option words take a value (we skip options and their values conservatively).
const VALUE_OPTS: Record<string, RegExp> = {
  sudo: /^-(?:u|g|h|p|c|r|t|U|C|D|R|T)$|^--(?:user|group|host|prompt|chdir|role|type|other-user|close-from)$/,
  doas: /^-(?:u|C)$/, env: /^-(?:u|C|S)$|^--(?:unset|chdir|split-string)$/, nice: /^-n$|^--adjustment$/, ionice: /^-(?:c|n|p)$/,
  timeout: /^-(?:s|k)$|^--(?:signal|kill-after)$/, stdbuf: /^-(?:i|o|e)$/, flock: /^-(?:w|E|c)$/, chroot: /^--(?:userspec|groups)$/,
  xargs: /^-(?:I|L|n|P|s|d|E|a)$|^--(?:replace|max-lines|max-args|max-procs|delimiter|arg-file)$/, watch: /^-(?:n|d)$/, taskset: /^-c$/,
  nohup: /^$/, command: /^$/, builtin: /^$/, exec: /^-a$/, time: /^-(?:f|o)$/, setsid: /^$/, unbuffer: /^$/, busybox: /^$/, toybox: /^$/,
  strace: /^-(?:e|o|p)$/, ltrace: /^-(?:e|o|p)$/, caffeinate: /^$/, torsocks: /^$/, proxychains: /^-f$/, runuser: /^-(?:u|g)$/,
};

function base(w: string): string {
  const slash = w.lastIndexOf('/');
  return (slash >= 0 ? w.slice(slash + 1) : w).toLowerCase();
}

interface Ctx { reasons: Reason[]; opts: CommandScanOptions; depth: number; vars: Map<string, string> }

function floor(ctx: Ctx, rule: string, detail: string, weight = 10): void {
  if (!ctx.reasons.some((r) => r.rule === rule)) ctx.reasons.push({ guard: G, rule, weight, floor: 'review', detail });
}

/** Strips wrappers; returns the inner argv words and notes what was unwrapped. */
function unwrap(words: Word[], ctx: Ctx): { words: Word[]; wrappers: string[] } {
  const wrappers: string[] = [];
  let w = words;
  for (let guard = 0; guard < 16 && w.length > 0; guard++) {
    const name = base(w[0]!.value);
    const opts = VALUE_OPTS[name];
    if (!opts) break;
    wrappers.push(name);
    let i = 1;
    if (name === 'timeout' || name === 'nice' && w[1]?.value.match(/^-\d+$/)) { /* duration handled below */ }
    while (i < w.length) {
      const v = w[i]!.value;
      if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) { i++; continue; }
      if (!v.startsWith('-') || v === '-') break;
      if (v === '--') { i++; break; }
      if (name === 'sudo' && (v === '-s' || v === '-i')) floor(ctx, 'priv.sudo_shell', 'sudo -s/-i starts a root shell', 30);
      i += opts.test(v) ? 2 : 1;
    }
    if (name === 'timeout' && i < w.length) i++;
    if (name === 'chroot' && i < w.length) i++;
    if (name === 'flock' && i < w.length) i++;
    if (name === 'xargs') floor(ctx, 'wrapper.xargs', 'xargs runs a command on input it reads', 5);
    if (name === 'sudo' || name === 'doas') ctx.reasons.push({ guard: G, rule: 'priv.sudo', weight: 15 });
    if (name === 'exec' || name === 'command' || name === 'builtin') { /* transparent */ }
    w = w.slice(i);
  }
  return { words: w, wrappers };
}

/** Extracts string literals from interpreter code (single/double quoted, bounded) to scan as commands. */
function stringLiterals(code: string): string[] {
  const out: string[] = [];
  const re = /"([^"\\\n]{2,400})"|'([^'\\\n]{2,400})'/g;
  for (const m of code.matchAll(re)) { out.push((m[1] ?? m[2])!); if (out.length > 32) break; }
  return out;
}

const DANGEROUS_CODE = /shutil\.rmtree|os\.(?:remove|unlink|rmdir|removedirs|system|popen|exec[lv]p?e?)|subprocess|rmsync|rmdirsync|unlinksync|child_process|execsync|spawnsync|\bsystem\s*\(|\bexec\s*\(|\beval\s*\(|file::rm_r|fileutils\.rm|\brm_rf\b|\bunlink\s*\(|pathlib.*\.unlink|\.rmdir\(|__import__|base64\.b64decode|\bsocket\b/i;

function scanCode(lang: string, code: string, ctx: Ctx): void {
  floor(ctx, 'inline.code', `inline ${lang} code`);
  if (DANGEROUS_CODE.test(code)) ctx.reasons.push({ guard: G, rule: 'inline.dangerous_api', weight: 40, detail: lang });
  ctx.reasons.push(...sqlRules(code));
  for (const lit of stringLiterals(code)) if (/[ /]/.test(lit)) analyze(lit, { ...ctx, depth: ctx.depth + 1 }, true);
}

/** Runs the guard over one simple command (already parsed). */
function analyzeCommand(cmd: SimpleCommand, all: SimpleCommand[], ctx: Ctx): void {
  for (const a of cmd.assigns) {
    const [k, v = ''] = a.split(/=(.*)/s) as [string, string?];
    ctx.vars.set(k, v);
    if (/^(?:LD_PRELOAD|LD_LIBRARY_PATH|PATH|PROMPT_COMMAND|BASH_ENV|ENV|GIT_SSH_COMMAND|GIT_EXTERNAL_DIFF|PAGER|EDITOR)$/.test(k)) floor(ctx, 'env.dangerous_assignment', `${k}= changes what runs`, 20);
    if (/^HIST(?:FILE|SIZE|FILESIZE)$/.test(k)) ctx.reasons.push({ guard: G, rule: 'logs.disable_history', weight: 50 });
  }
  for (const r of cmd.redirects) {
    ctx.reasons.push(...pathRules(r.target, r.op.includes('>') ? 'write' : 'read', ctx.opts.protectedPaths));
    if (/^\/dev\/(?:tcp|udp)\//.test(r.target)) ctx.reasons.push({ guard: G, rule: 'net.dev_tcp', weight: 85, detail: r.target });
    if (r.op.includes('>') && /^\/dev\/(?:sd|nvme|hd|vd|xvd|disk|mmcblk)/.test(r.target)) ctx.reasons.push({ guard: G, rule: 'disk.redirect_to_device', weight: 90 });
    if (r.op.includes('>') && /(?:^|\/)\.(?:bash_|zsh_)?history$|^\/var\/log\//.test(r.target)) ctx.reasons.push({ guard: G, rule: 'logs.wipe_history', weight: 60 });
  }
  if (cmd.words.length === 0) return;
  const { words, wrappers } = unwrap(cmd.words, ctx);
  if (words.length === 0) return;
  let head = words[0]!;
  if (!head.literal) {
    // Resolve `a=rm; $a` style indirection when the variable was assigned literally on this line.
    const m = head.value.match(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/);
    const resolved = m ? ctx.vars.get(m[1]!) : undefined;
    floor(ctx, 'parse.non_literal_command', `command word ${JSON.stringify(head.value)} is not literal`, 20);
    if (resolved === undefined) return;
    head = { ...head, value: resolved, literal: true };
  }
  const name = base(head.value);
  if (name !== head.value.toLowerCase() && /^(?:\.\/|\.\.\/)/.test(head.value)) floor(ctx, 'exec.local_script', `runs ${head.value}`, 5);
  const args = words.slice(1).map((w) => w.value);
  const literal = words.every((w) => w.literal || !w.substitution);
  const argv: Argv = { name, args, literal };
  ctx.reasons.push(...argvRules(argv));
  for (const a of args) {
    if (a.startsWith('-')) continue;
    const op = /^(?:rm|unlink|shred|truncate|mv)$/.test(name) ? 'delete' : /^(?:cp|tee|install|ln|sed|chmod|chown|touch|dd)$/.test(name) ? 'write' : 'read';
    ctx.reasons.push(...pathRules(a, op, ctx.opts.protectedPaths));
    if (isSecretPath(a) && op === 'read' && /^(?:cat|less|more|head|tail|base64|xxd|od|strings|scp|curl|nc|cp|rsync|gpg|openssl|grep|awk|sed|tar|zip)$/.test(name)) ctx.reasons.push({ guard: G, rule: 'cred.read_secret_file', weight: 45, detail: a });
  }
  if ((name === 'curl' || name === 'wget') && args.some((a) => /^@|^-T$|^--upload-file$|^--data-binary$/.test(a)) && args.some((a) => isSecretPath(a.replace(/^@/, '')))) ctx.reasons.push({ guard: G, rule: 'cred.upload_secret', weight: 80 });
  if (/^(?:eval|source|\.)$/.test(name)) {
    floor(ctx, 'inline.eval', `${name} runs code built at run time`, 20);
    if (name === 'eval') analyze(args.join(' '), { ...ctx, depth: ctx.depth + 1 }, true);
  }
  // Shells with -c, interpreters with -c/-e/-r: recurse or scan the code.
  if (isInterpreter(name)) {
    const ci = args.findIndex((a) => /^-[a-z]*c$/.test(a) && /^(?:sh|bash|zsh|dash|ksh|fish|ash|csh|tcsh|busybox|python\d?(?:\.\d+)?)$/.test(name) || (/^-(?:e|E|r|p|-eval|-print)$/.test(a) && /^(?:perl|ruby|node|nodejs|deno|bun|php|lua|osascript)$/.test(name)) || (a === '-c' || a === '-command' || a === '-encodedcommand') && /^(?:pwsh|powershell)$/.test(name));
    const code = ci >= 0 ? args[ci + 1] : undefined;
    if (code !== undefined && /^(?:sh|bash|zsh|dash|ksh|fish|ash|csh|tcsh)$/.test(name)) {
      floor(ctx, 'inline.shell', `${name} -c runs a script`);
      analyze(code, { ...ctx, depth: ctx.depth + 1 }, true);
    } else if (code !== undefined) scanCode(name, code, ctx);
    const fromPipe = cmd.pipeFrom >= 0 ? all[cmd.pipeFrom] : undefined;
    const readsStdin = code === undefined && (args.length === 0 || args.every((a) => a.startsWith('-')) || args.includes('-') || args.some((a) => a.startsWith('/dev/fd/')));
    if (readsStdin && fromPipe) {
      const src = fromPipe.words.length ? base(unwrap(fromPipe.words, { ...ctx, reasons: [] }).words[0]?.value ?? '') : '';
      if (/^(?:curl|wget|fetch|http|https|aria2c|invoke-webrequest|iwr|nc|ncat)$/.test(src)) ctx.reasons.push({ guard: G, rule: 'remote.pipe_to_interpreter', weight: 85, detail: `${src} | ${name}` });
      else if (/^(?:base64|xxd|openssl|printf|echo|rev|tr|gunzip|zcat|gzip|bzcat|xzcat|perl|python\d?)$/.test(src)) ctx.reasons.push({ guard: G, rule: 'remote.decoded_pipe_to_interpreter', weight: 70, detail: `${src} | ${name}` });
      else ctx.reasons.push({ guard: G, rule: 'exec.pipe_to_interpreter', weight: 40, detail: `${src} | ${name}` });
      for (const body of fromPipe.stdin) analyze(body, { ...ctx, depth: ctx.depth + 1 }, true);
    }
    if (readsStdin && cmd.stdin.length) {
      floor(ctx, 'inline.heredoc_to_interpreter', `heredoc fed to ${name}`);
      for (const body of cmd.stdin) if (/^(?:sh|bash|zsh|dash|ksh|ash)$/.test(name)) analyze(body, { ...ctx, depth: ctx.depth + 1 }, true); else scanCode(name, body, ctx);
    }
    if (args.some((a) => a.startsWith('/dev/fd/'))) {
      const sub = all.find((c) => c.context === 'process' && /^(?:curl|wget)$/.test(base(c.words[0]?.value ?? '')));
      if (sub) ctx.reasons.push({ guard: G, rule: 'remote.pipe_to_interpreter', weight: 85, detail: `${name} <(curl ...)` });
    }
  }
  if (/^(?:psql|mysql|mariadb|sqlite3|mongo|mongosh|redis-cli)$/.test(name)) for (const body of cmd.stdin) ctx.reasons.push(...sqlRules(body));
  if (name === 'awk' || name === 'gawk' || name === 'nawk') { if (args.some((a) => /system\s*\(|\|\s*"?(?:sh|bash)|getline/.test(a))) scanCode('awk', args.join(' '), ctx); }
  if (name === 'sed' && args.some((a) => /(?:^|;)\s*e\b|\/e$/.test(a))) floor(ctx, 'inline.sed_exec', 'sed e command runs shell', 20);
  if (name === 'find') {
    const ei = args.findIndex((a) => /^-(?:exec|execdir|ok|okdir)$/.test(a));
    if (ei >= 0) {
      const end = args.findIndex((a, k) => k > ei && (a === ';' || a === '+'));
      const inner = args.slice(ei + 1, end === -1 ? undefined : end);
      const sub: Ctx = { ...ctx, depth: ctx.depth + 1 };
      if (inner.length) analyzeArgv(inner.map((v) => (v === '{}' ? '*' : v)), sub);
    }
  }
  if (name === 'xargs' || wrappers.includes('xargs')) { /* inner command analysed through unwrap */ }
  if (name === 'su' || name === 'runuser') { const ci = args.indexOf('-c'); if (ci >= 0 && args[ci + 1]) analyze(args[ci + 1]!, { ...ctx, depth: ctx.depth + 1 }, true); }
  if (ctx.opts.allowedPrefixes?.length && ctx.depth === 0) {
    const line = [head.value, ...args].join(' ');
    const ok = ctx.opts.allowedPrefixes.some((p) => line === p || line.startsWith(p.endsWith(' ') ? p : `${p} `));
    if (!ok) floor(ctx, 'allowlist.not_in_allowlist', `"${name}" is not in the allowed command prefixes`, 20);
  }
}

function analyzeArgv(argv: string[], ctx: Ctx): void {
  const line = argv.map((a) => (/[\s'"\\$`;&|<>(){}*?]/.test(a) ? `'${a.replace(/'/g, "'\\''")}'` : a)).join(' ');
  analyze(line, ctx, true);
}

function analyze(line: string, ctx: Ctx, nested = false): void {
  if (ctx.depth > MAX_DEPTH) { floor(ctx, 'parse.too_deep', 'inline code nested too deep'); return; }
  const parsed = parseShell(line);
  for (const issue of parsed.issues) {
    // Heredoc and here-string bodies are data, analysed as code below when they feed an interpreter.
    if (issue === 'heredoc' || issue === 'here_string' || issue === 'subshell' || issue === 'arithmetic') continue;
    floor(ctx, `parse.${issue}`, NOT_UNDERSTOOD[issue] ?? issue);
  }
  // Fork bomb: a function that calls itself in a pipe or in the background.
  const defined = new Map<string, SimpleCommand[]>();
  for (const c of parsed.commands) if (c.defines) defined.set(c.defines, [...(defined.get(c.defines) ?? []), c]);
  for (const [fn, body] of defined) {
    if (body.some((c) => c.words[0]?.value === fn) && body.some((c) => c.pipeFrom >= 0 || c.words[0]?.value === fn)) ctx.reasons.push({ guard: G, rule: 'system.fork_bomb', weight: 100, detail: fn });
  }
  for (const cmd of parsed.commands) analyzeCommand(cmd, parsed.commands, ctx);
  void nested;
}

/** Rewrites `{a,b,c}` (no spaces, at most 400 characters) as `a b c`: the words bash would produce. */
function expandBraces(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    const open = line.indexOf('{', i);
    if (open === -1) { out += line.slice(i); break; }
    out += line.slice(i, open);
    let j = open + 1;
    while (j < line.length && j - open < 400 && !/[\s{}]/.test(line[j]!)) j++;
    const inner = line.slice(open + 1, j);
    if (line[j] === '}' && inner.includes(',')) { out += inner.split(',').join(' '); i = j + 1; }
    else { out += '{'; i = open + 1; }
  }
  return out;
}

/**
 * Scores a shell command line. Reasons with `floor: 'review'` mark what could not be resolved.
 * @example scanCommand('rm -rf ~').some((r) => r.rule === 'fs.rm_recursive_root_or_home')
 */
export function scanCommand(line: string, opts: CommandScanOptions = {}): Reason[] {
  const ctx: Ctx = { reasons: [], opts, depth: 0, vars: new Map() };
  analyze(line, ctx);
  // $IFS word splitting and brace expansion can hide a command: analyse the expanded reading too.
  const ifs = /\$\{?IFS\}?/.test(line);
  const alt0 = expandBraces(line);
  const brace = alt0 !== line;
  if (ifs || brace) {
    floor(ctx, ifs ? 'parse.ifs_expansion' : 'parse.brace_expansion', ifs ? '$IFS used as a separator' : 'brace expansion builds the command');
    const alt = expandBraces(line.replace(/\$\{IFS(?:[^}]{0,20})\}|\$IFS/g, ' '));
    analyze(alt, { ...ctx, depth: 1 });
  }
  return ctx.reasons;
}
