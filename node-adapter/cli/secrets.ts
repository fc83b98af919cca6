/**
 * `edgeclaw secrets list|set|delete`: the data dir's secret store (registry.sqlite `secrets`, 0600), which
 * config files point into with `secret:NAME` values. `list` shows names only; `set` reads the value from
 * stdin (or `--from-env VAR`) so it never appears in argv or shell history.
 */
import { readFileSync } from 'node:fs';
import { configFileFor } from '../config.ts';
import { secretDirOf } from '../config-secrets.ts';
import { NodeSecretStore, SECRET_VALUE_MAX, secretProblem, secretStorePath } from '../secret-store.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, table, wantsJson, type Io } from './common.ts';
import { readConfigFile } from './config-file.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw secrets <list | set NAME [--from-env VAR] | delete NAME> [--data-dir DIR] [--config FILE] [--json]

The secret store lives in <data dir>/registry.sqlite (table secrets, mode 0600). A config value
"secret:NAME" is read from it when edgeclaw starts; setup, config set, config.patch and the wizard put
API keys and tokens there and leave such references in the config file.

  list                 names, sizes and who set them (never values)
  set NAME             stores the value read from stdin (one trailing newline is dropped), or from
                       the environment variable named by --from-env
  delete NAME          removes it (a config still referring to it then fails to load, naming it)
  --data-dir DIR       data dir (env EDGECLAW_DATA_DIR; else the config file's dataDir; else ./data)
  --config FILE        config file whose dataDir to use (env EDGECLAW_CONFIG)

${EXIT_HELP}`;

const FLAGS = { 'data-dir': { type: 'string' }, config: { type: 'string' }, 'from-env': { type: 'string' } } as const;

/** The data dir of the store: --data-dir, EDGECLAW_DATA_DIR, the config file's dataDir, ./data. */
function dataDirOf(values: { 'data-dir'?: string | undefined; config?: string | undefined }, env: NodeJS.ProcessEnv): string {
  if (values['data-dir']) return secretDirOf({}, { EDGECLAW_DATA_DIR: values['data-dir'] });
  const file = values.config ?? configFileFor(env);
  return secretDirOf(file ? readConfigFile(file) : {}, env);
}

/** Reads the whole of stdin (bounded). */
function readStdin(): string {
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the value from stdin (${(err as NodeJS.ErrnoException).code ?? String(err)}); pipe it in or use --from-env VAR`);
  }
  if (text.length > SECRET_VALUE_MAX + 2) throw new UsageError(`the value exceeds ${SECRET_VALUE_MAX} characters`);
  return text.replace(/\r?\n$/, '');
}

/** Runs `edgeclaw secrets …`; resolves to the exit code. */
export async function runSecrets(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('secrets', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, FLAGS);
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    const [action, ...args] = positionals;
    if (action !== 'list' && action !== 'set' && action !== 'delete') throw new UsageError(action ? `unknown action "${action}"` : 'missing action (list, set or delete)');
    if (action === 'list' ? args.length !== 0 : args.length !== 1) throw new UsageError(action === 'list' ? 'list takes no arguments' : `${action} needs exactly one NAME`);
    if (values['from-env'] !== undefined && action !== 'set') throw new UsageError('--from-env: only with set');
    const name = args[0] ?? '';
    if (action !== 'list') {
      const problem = secretProblem(name);
      if (problem) throw new UsageError(problem);
    }
    const dataDir = dataDirOf(values, env);
    const file = secretStorePath(dataDir);
    let value = '';
    if (action === 'set') {
      const from = values['from-env'];
      if (from !== undefined && !env[from]) throw new UsageError(`--from-env: ${from} is not set or empty`);
      value = from !== undefined ? env[from]! : readStdin();
      const problem = secretProblem(name, value);
      if (problem) throw new UsageError(problem);
    }
    const store = NodeSecretStore.open(dataDir);
    try {
      if (action === 'list') {
        const rows = store.list().map((s) => ({ name: s.name, chars: s.chars, updatedBy: s.updatedBy, updatedAt: new Date(s.updatedAt).toISOString() }));
        emit(io, values.json, { ok: true, store: file, secrets: rows }, () => (rows.length ? table(rows, ['name', 'chars', 'updatedBy', 'updatedAt']) : `no secrets in ${file}`));
        return EXIT.ok;
      }
      if (action === 'set') {
        store.set(name, value, 'edgeclaw secrets set');
        emit(io, values.json, { ok: true, store: file, name }, `stored "${name}" in ${file}; refer to it as "secret:${name}" in the config (restart edgeclaw to apply)`);
        return EXIT.ok;
      }
      const deleted = store.delete(name);
      emit(io, values.json, { ok: deleted, store: file, name, deleted }, deleted ? `deleted "${name}" from ${file}` : `no secret "${name}" in ${file}`);
      return deleted ? EXIT.ok : EXIT.failure;
    } finally {
      store.close();
    }
  });
}

/** The `secrets` subcommand. */
export const secretsCommand: Command = {
  summary: 'secret store: list | set NAME (stdin or --from-env VAR) | delete NAME (names only; --data-dir)',
  run: (argv, env) => runSecrets(argv, env),
};
