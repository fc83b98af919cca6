/**
 * `edgeclaw setup`: the setup wizard. In a terminal it asks each step (node:readline/promises); flags answer
 * steps up front, and `--yes` (or no terminal) takes the defaults for the rest. The same steps back the
 * `wizard.*` gateway methods (src/wizard/steps.ts). The config file is validated with the one schema and
 * written atomically (0600), the API key and bot token go to the data dir's secret store (the file keeps
 * `secret:` references): `--config`/EDGECLAW_CONFIG, else `<data dir>/edgeclaw.json5`, which
 * `edgeclaw start` reads from the same data dir.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createInterface } from 'node:readline/promises';
import { answerStep, applicableSteps, buildSetup, describeStep, mergeSetup, nextStepId, redactAnswers, WizardAnswerError, type SetupAnswers, type StepId, type WizardStep } from '../../src/wizard/steps.ts';
import { DATA_DIR_CONFIG } from '../config.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { readConfigFile, writeConfigFile } from './config-file.ts';
import { secretDirOf } from '../config-secrets.ts';
import { secretStorePath } from '../secret-store.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw setup [flags] [--yes] [--json]

Asks for each setting in a terminal; flags answer steps up front; --yes (or no terminal) uses the
defaults for every step not given.

  --provider ID           model provider: a preset (openai, anthropic, openrouter, groq, opencode, …) or
                          custom (an OpenAI-compatible endpoint; needs --base-url). Default: opencode (keyless)
  --base-url URL          base URL of a custom provider
  --api-key KEY           provider API key (empty: the provider's env var, e.g. OPENAI_API_KEY)
  --model NAME            default model (provider/model or the model name; default: the preset's first)
  --telegram-token TOKEN  Telegram bot token (omit: no Telegram)
  --telegram-mode MODE    polling (default) or webhook
  --telegram-webhook-url  public https URL of this gateway (webhook mode)
  --gateway-token TOKEN   use this admin token (≥ 16 chars; only its SHA-256 is stored)
  --generate-token        generate a new admin token (printed once; only its SHA-256 is stored)
  --keep-token            keep the current admin token
  --defender-profile P    strict, balanced (default) or permissive
  --config FILE           config file to write (env EDGECLAW_CONFIG; default <data dir>/${DATA_DIR_CONFIG})
  --data-dir DIR          data dir (env EDGECLAW_DATA_DIR; default ./data), created 0700
  -y, --yes               do not ask: defaults for everything not given, and write without confirming

${EXIT_HELP} An invalid flag value exits 2 naming the flag; answering "no" to the last step writes nothing (exit 1).`;

/** The flag that answers each step. */
const FLAG_OF: Record<StepId, string> = {
  provider: 'provider',
  baseUrl: 'base-url',
  apiKey: 'api-key',
  model: 'model',
  telegramToken: 'telegram-token',
  telegramMode: 'telegram-mode',
  telegramWebhookUrl: 'telegram-webhook-url',
  gatewayToken: 'gateway-token',
  defenderProfile: 'defender-profile',
  confirm: 'yes',
};

const FLAGS = {
  provider: { type: 'string' },
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  model: { type: 'string' },
  'telegram-token': { type: 'string' },
  'telegram-mode': { type: 'string' },
  'telegram-webhook-url': { type: 'string' },
  'gateway-token': { type: 'string' },
  'generate-token': { type: 'boolean', default: false },
  'keep-token': { type: 'boolean', default: false },
  'defender-profile': { type: 'string' },
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  yes: { type: 'boolean', short: 'y', default: false },
} as const;

/** Invalid answers to one step before the wizard gives up (a closed stdin answers "" forever). */
const MAX_TRIES = 3;

/** Asks one step and returns the raw answer (the interactive path); tests can script it. */
export type Asker = (step: WizardStep) => Promise<string>;

/** A terminal asker: numbered options for selects, hidden input for secrets. */
function terminalAsker(io: Io): { ask: Asker; close(): void } {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, cb) {
      if (!muted) process.stdout.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask: Asker = async (step) => {
    io.out(`\n${step.title}: ${step.message}\n`);
    step.options?.forEach((o, i) => io.out(`  ${i + 1}) ${o.label} [${o.value}]${o.hint ? ` (${o.hint})` : ''}\n`));
    const initial = step.initialValue === undefined ? '' : ` [${String(step.initialValue)}]`;
    if (step.sensitive) {
      io.out(`> (hidden)${initial} `);
      muted = true;
      try {
        return await rl.question('');
      } finally {
        muted = false;
        io.out('\n');
      }
    }
    const raw = (await rl.question(`> ${initial.trim() ? `${initial.trim()} ` : ''}`)).trim();
    const n = Number(raw);
    if (step.options && Number.isInteger(n) && n >= 1 && n <= step.options.length) return step.options[n - 1]!.value;
    if (step.type === 'confirm' && raw === '') return 'yes';
    return raw;
  };
  return { ask, close: () => rl.close() };
}

/** Where the config goes: --config / EDGECLAW_CONFIG, else the data dir's edgeclaw.json5. */
function targetOf(values: { config?: string | undefined; 'data-dir'?: string | undefined }, env: NodeJS.ProcessEnv) {
  const dataDir = resolve(values['data-dir'] ?? env.EDGECLAW_DATA_DIR ?? './data');
  const file = resolve(values.config ?? env.EDGECLAW_CONFIG ?? join(dataDir, DATA_DIR_CONFIG));
  return { dataDir, file, explicitDataDir: values['data-dir'] !== undefined && file !== join(dataDir, DATA_DIR_CONFIG) };
}

/** Runs `edgeclaw setup`; resolves to the exit code. `ask` replaces the terminal (tests). */
export async function runSetup(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO, ask?: Asker): Promise<number> {
  const json = wantsJson(argv);
  return guard('setup', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, FLAGS);
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const tokenFlags = [values['gateway-token'] !== undefined, values['generate-token'], values['keep-token']].filter(Boolean).length;
    if (tokenFlags > 1) throw new UsageError('--gateway-token, --generate-token and --keep-token exclude each other');
    const { dataDir, file, explicitDataDir } = targetOf(values, env);
    const existing = readConfigFile(file);

    const given: Partial<Record<StepId, string | boolean>> = {};
    for (const [step, flag] of Object.entries(FLAG_OF) as [StepId, string][]) {
      const v = (values as Record<string, unknown>)[flag];
      if (typeof v === 'string') given[step] = v;
    }
    if (values['generate-token']) given.gatewayToken = 'generate';
    if (values['keep-token']) given.gatewayToken = 'keep';
    if (values.yes) given.confirm = true;
    // Without a terminal (or with --yes) nobody can answer: defaults fill every step not given.
    const interactive = !values.yes && (ask !== undefined || (process.stdin.isTTY === true && process.stdout.isTTY === true));
    // Defaults for steps nobody answers: what the file already says, else the wizard's own defaults.
    const cur = existing as { gateway?: { token?: unknown }; models?: { default?: unknown; providers?: Record<string, { baseUrl?: unknown }> }; defender?: { profile?: unknown } };
    const curModel = typeof cur.models?.default === 'string' ? cur.models.default : undefined;
    const defaultOf = (id: StepId, a: SetupAnswers): string | boolean => {
      switch (id) {
        case 'provider':
          return curModel?.split('/')[0] ?? '';
        case 'baseUrl': {
          const url = a.provider ? cur.models?.providers?.[a.provider]?.baseUrl : undefined;
          return typeof url === 'string' ? url : '';
        }
        case 'model':
          return curModel && a.provider && curModel.startsWith(`${a.provider}/`) ? curModel : '';
        case 'gatewayToken':
          return typeof cur.gateway?.token === 'string' ? 'keep' : 'generate';
        case 'defenderProfile':
          return typeof cur.defender?.profile === 'string' ? cur.defender.profile : '';
        case 'confirm':
          return true;
        default:
          return '';
      }
    };

    const terminal = interactive && !ask ? terminalAsker(io) : null;
    const asker = ask ?? terminal?.ask;
    const progress = (line: string) => (json ? io.err(`${line}\n`) : io.out(`${line}\n`));
    let answers: SetupAnswers = {};
    let retries = 0;
    try {
      for (let id = nextStepId(answers); id !== null; id = nextStepId(answers)) {
        const fromFlag = id in given;
        let raw: string | boolean = fromFlag ? given[id]! : defaultOf(id, answers);
        if (!fromFlag && interactive && asker) {
          const fallback = raw;
          raw = await asker({ ...describeStep(id, answers), ...(fallback !== '' ? { initialValue: fallback } : {}) });
          if (raw === '') raw = fallback;
        }
        try {
          answers = answerStep(answers, id, raw);
        } catch (err) {
          if (!(err instanceof WizardAnswerError)) throw err;
          if (fromFlag || !interactive || ++retries >= MAX_TRIES) throw new UsageError(`--${FLAG_OF[id]}: ${err.message}`);
          io.err(`  ${err.message}; try again\n`);
          continue;
        }
        retries = 0;
        const steps = applicableSteps(answers);
        const shown = redactAnswers(answers)[id];
        progress(`[${steps.indexOf(id) + 1}/${steps.length}] ${describeStep(id, answers).title}: ${shown === '' ? '(none)' : String(shown)}`);
      }
    } finally {
      terminal?.close();
    }
    if (answers.confirm === false) {
      progress('nothing written');
      return EXIT.failure;
    }

    const { patch, gatewayToken } = await buildSetup(answers);
    if (explicitDataDir) patch.dataDir = dataDir;
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    progress(`validating and writing ${file} (0600)`);
    const merged = mergeSetup(existing, patch);
    const secretDir = secretDirOf(merged, values['data-dir'] ? { EDGECLAW_DATA_DIR: dataDir } : env);
    const secretsStored = writeConfigFile(file, merged, secretDir, 'edgeclaw setup');
    if (secretsStored.length) progress(`secrets stored in ${secretStorePath(secretDir)} (0600): ${secretsStored.join(', ')}`);
    const next = `edgeclaw start${values['data-dir'] ? ` --data-dir ${values['data-dir']}` : ''}${values.config ? ` --config ${values.config}` : ''}`;
    emit(io, json, { ok: true, file, dataDir, secretsStored, restartRequired: true, answers: redactAnswers(answers), ...(gatewayToken ? { gatewayToken } : {}) }, () =>
      [
        `configuration written to ${file}`,
        ...(gatewayToken ? ['', 'Gateway admin token (shown only this once; only its SHA-256 is stored):', '', `    ${gatewayToken}`, ''] : []),
        `next: ${next}   (restart edgeclaw if it is running)`,
      ].join('\n'),
    );
    return EXIT.ok;
  });
}

/** The `setup` subcommand. */
export const setupCommand: Command = {
  summary: 'setup wizard: provider, API key, model, Telegram, gateway token, defender profile (interactive, or flags + --yes)',
  run: (argv, env) => runSetup(argv, env),
};
