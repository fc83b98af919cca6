/** Shared plumbing of the operator subcommands: flag parsing, output (`--json` or text), exit codes. */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ConfigError, formatProblem } from '../../src/config/schema.ts';

/** Exit codes of every subcommand (documented in `--help`). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The exit-code paragraph each subcommand's `--help` ends with. */
export const EXIT_HELP = 'Exit codes: 0 ok, 1 runtime failure (or a failed check), 2 usage or input error.';

/** Where a command writes (process streams by default; tests may capture them). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout/stderr. */
export const PROCESS_IO: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** A usage or input error: printed with the usage text and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A runtime failure already phrased for the operator: printed and exits 1. */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  readonly data: unknown;
  /** 1 normally; 2 when the remote side rejected our input (e.g. INVALID_REQUEST params). */
  readonly exitCode: number;
  constructor(message: string, data?: unknown, exitCode: number = EXIT.failure) {
    super(message);
    this.data = data;
    this.exitCode = exitCode;
  }
}

/** Flags every subcommand accepts. */
export const COMMON_FLAGS = { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } as const satisfies ParseArgsOptionsConfig;

/**
 * Parses argv strictly (unknown flags are usage errors) with the common flags added.
 * @example parseFlags(['list', '--json'], { limit: { type: 'string' } })
 */
export function parseFlags<T extends ParseArgsOptionsConfig>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_FLAGS, ...options }, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Writes `data` as JSON when `json`, else the human text (a trailing newline is added). */
export function emit(io: Io, json: boolean, data: unknown, text: string | (() => string)): void {
  io.out(`${json ? JSON.stringify(data, null, 2) : typeof text === 'string' ? text : text()}\n`);
}

/**
 * Runs a command body, turning errors into exit codes: UsageError/ConfigError → 2, CommandFailure → 1,
 * anything else → 1 with its message. With `json`, errors are printed as `{ok:false,error}` on stdout.
 */
export async function guard(name: string, usage: string, io: Io, json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError) {
      if (json) emit(io, true, { ok: false, error: { code: 'USAGE', message: err.message } }, '');
      else io.err(`edgeclaw ${name}: ${err.message}\n${usage}\n`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      if (json) emit(io, true, { ok: false, error: { code: 'CONFIG_INVALID', problems: err.problems } }, '');
      else io.err(`edgeclaw ${name}: invalid configuration:\n${err.problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}\n`);
      return EXIT.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    if (json) emit(io, true, { ok: false, error: { code: 'FAILED', message, ...(err instanceof CommandFailure && err.data !== undefined ? { details: err.data } : {}) } }, '');
    else io.err(`edgeclaw ${name}: ${message}\n`);
    return err instanceof CommandFailure ? err.exitCode : EXIT.failure;
  }
}

/** Whether argv asks for JSON output (checked before full parsing so usage errors are JSON too). */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

/** Renders rows as aligned text columns (bounded: at most `max` rows, long cells cut). */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[], max = 500): string {
  const cell = (v: unknown) => {
    const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 79)}…` : s;
  };
  const shown = rows.slice(0, max).map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...shown.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const more = rows.length > max ? [`… ${rows.length - max} more`] : [];
  return [line(columns), ...shown.map(line), ...more].join('\n');
}
