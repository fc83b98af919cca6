/** `edgeclaw config get [path] | set <path> <value> | validate`: read (secrets redacted), edit and check the config. */
import JSON5 from 'json5';
import { ConfigError, formatProblem } from '../../src/config/schema.ts';
import { loadConfig } from '../config.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { secretDirOf } from '../config-secrets.ts';
import { secretStorePath } from '../secret-store.ts';
import { getAt, readConfigFile, redactSecrets, requireConfigPath, setAt, splitPath, writeConfigFile } from './config-file.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw config <get [path] | set <path> <value> | validate> [--config FILE] [--json]

  get [path]          the effective config (defaults < file < env), or one dotted key; secrets redacted
  set <path> <value>  writes one key into the config file (value parsed as JSON5, else a string);
                      validated first, written atomically (0600); restart to apply
  validate            checks file + env; prints each problem as "key (source) = value: expected"

  --config   config file (env EDGECLAW_CONFIG)

${EXIT_HELP} validate exits 2 when the config is invalid.`;

function parseValue(raw: string): unknown {
  try {
    return JSON5.parse(raw);
  } catch {
    return raw;
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** Runs `edgeclaw config …`; resolves to the exit code. */
export async function runConfig(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('config', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { config: { type: 'string' } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    const [action, ...args] = positionals;
    const loadArgs = values.config ? ['--config', values.config] : [];
    if (action === 'get') {
      if (args.length > 1) throw new UsageError('get takes at most one key path');
      const { config } = loadConfig(env, loadArgs);
      const parts = args[0] ? splitPath(args[0]) : [];
      const value = parts.length ? getAt(config, parts) : config;
      if (value === undefined) throw new UsageError(`no such key "${args[0]}" (it may be unset; see edgeclaw config get)`);
      const shown = redactSecrets(value, parts.at(-1) ?? '');
      emit(io, values.json, shown, () => show(shown));
      return EXIT.ok;
    }
    if (action === 'set') {
      if (args.length !== 2) throw new UsageError('set needs <path> <value>');
      const file = requireConfigPath(values.config, env);
      const parts = splitPath(args[0]!);
      const value = parseValue(args[1]!);
      const data = setAt(readConfigFile(file), parts, value);
      const dataDir = secretDirOf(data, env);
      const stored = writeConfigFile(file, data, dataDir, 'edgeclaw config set');
      const shown = redactSecrets(value, parts.at(-1) ?? '');
      const where = stored.length ? ` (the value is in the secret store ${secretStorePath(dataDir)}; the file holds secret:${stored.join(', secret:')})` : '';
      emit(io, values.json, { ok: true, file, key: args[0], value: shown, secretsStored: stored }, `${args[0]} = ${show(shown)} written to ${file}${where} (restart edgeclaw to apply)`);
      return EXIT.ok;
    }
    if (action === 'validate') {
      if (args.length > 0) throw new UsageError('validate takes no arguments');
      try {
        const { file } = loadConfig(env, loadArgs);
        emit(io, values.json, { ok: true, file, problems: [] }, `config valid (${file ?? 'defaults and env only'})`);
        return EXIT.ok;
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const problems = err.problems.map((p) => ({ ...p, value: redactSecrets(p.value, p.key.split('.').at(-1) ?? '') }));
        emit(io, values.json, { ok: false, problems }, () => `config invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
        return EXIT.usage;
      }
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
  });
}

/** The `config` subcommand. */
export const configCommand: Command = {
  summary: 'read and edit configuration: get [path] | set <path> <value> | validate (--config FILE)',
  run: (argv, env) => runConfig(argv, env),
};
