/** Small host facts shared by `doctor` and `security audit`: file modes, loopback binds, the config as loaded. */
import { lstatSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError, resolveConfig, type Config } from '../../src/config/schema.ts';
import { flagsToEnv, loadConfig } from '../config.ts';

/** Flags both commands share with `edgeclaw start`, so they inspect the same deployment. */
export const DEPLOYMENT_FLAGS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/** The deployment's config, or the defaults plus the load error when it is invalid. */
export function inspectConfig(env: NodeJS.ProcessEnv, values: Record<string, unknown>): { config: Config; file: string | null; error: ConfigError | null } {
  const argv = Object.keys(DEPLOYMENT_FLAGS).flatMap((k) => (typeof values[k] === 'string' ? [`--${k}`, values[k] as string] : []));
  try {
    return { ...loadConfig(env, argv), error: null };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Keep inspecting the deployment the flags name (data dir, port) even though the config is invalid.
    const flagsOnly = argv.filter((_, i) => argv[i] !== '--config' && argv[i - 1] !== '--config');
    let config: Config;
    try {
      config = resolveConfig({}, flagsToEnv(flagsOnly), 'defaults');
    } catch {
      config = resolveConfig({}, {}, 'defaults');
    }
    return { config, file: (values.config as string | undefined) ?? env.EDGECLAW_CONFIG ?? null, error: err };
  }
}

/** Mode facts of a path, or null when it does not exist. */
export function fileFacts(path: string): { mode: number; isDir: boolean; isSymlink: boolean } | null {
  try {
    const st = lstatSync(path);
    return { mode: st.mode & 0o777, isDir: st.isDirectory(), isSymlink: st.isSymbolicLink() };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** `0700`-style text of a mode. */
export function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Whether a bind address only accepts local connections. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** The HTTP base a local client uses to reach a server bound to `host:port` (wildcards become loopback). */
export function localBase(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
