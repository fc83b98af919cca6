/**
 * The one place the `models` config of an env is resolved: EDGECLAW_MODELS_JSON (zero-config env vars
 * otherwise) parsed once per env object, then resolved against the env's variables and, where the caller
 * read them, the keys stored at run time. The agent, the catalog, the OAuth methods and the Telegram
 * commands all call it, so they always agree on which providers exist.
 */
import type { Env } from '../env.ts';
import { ProvidersConfigSchema, type ProvidersConfig } from './config.ts';
import { resolveModels, type ResolvedModels } from './resolve.ts';
import { withStoredKeys } from './stored-keys.ts';

const modelsCache = new WeakMap<object, ProvidersConfig>();

/**
 * The `models` config of this env (EDGECLAW_MODELS_JSON; zero-config env vars otherwise), parsed once per env.
 * @example modelsConfigOf(env).default
 */
export function modelsConfigOf(env: Env): ProvidersConfig {
  let cfg = modelsCache.get(env);
  if (!cfg) {
    cfg = ProvidersConfigSchema.parse(env.EDGECLAW_MODELS_JSON ? JSON.parse(env.EDGECLAW_MODELS_JSON) : {});
    modelsCache.set(env, cfg);
  }
  return cfg;
}

/**
 * The env's models resolved (presets, config, env keys), with `storedKeys` (from `storedProviderKeys`)
 * winning over config and env for their providers.
 * @example const { providers } = resolvedModelsOf(env, await storedProviderKeys(env.DB))
 */
export function resolvedModelsOf(env: Env, storedKeys: Readonly<Record<string, string>> = {}): ResolvedModels {
  return resolveModels(withStoredKeys(modelsConfigOf(env), storedKeys), env as unknown as Record<string, string | undefined>);
}
