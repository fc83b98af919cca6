/**
 * `edgeclaw security audit [--fix]`: findings about auth, binds, exec exposure, file permissions and token reuse
 * (reference: seed-system.md §1.2). `--fix` tightens permissions (chmod) and moves inline config secrets into
 * the secret store, deterministically.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { adminTokenFile } from '../data-dir.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { readConfigFile, writeConfigFile } from './config-file.ts';
import { inlineSecrets } from '../../src/config/secret-refs.ts';
import { secretStorePath } from '../secret-store.ts';
import { DEPLOYMENT_FLAGS, fileFacts, inspectConfig, isLoopback, octal } from './host-checks.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw security audit [--fix] [--config FILE] [--host H] [--port P] [--data-dir DIR] [--json]

Findings: gateway.auth.none, gateway.token.plain, gateway.credentials.plain, config.secret.inline,
gateway.bind.public, agent.exec.public, hooks.token.reused, fs.data_dir.perms, fs.secrets_dir.perms,
fs.token_file.perms, fs.secret_store.perms, fs.config_file.perms, fs.*.symlink. An empty command allowlist
is not a finding (the defender reviews commands).
--fix chmods the permission findings (directories 0700, files 0600), moves inline secrets of the config
file into the secret store (leaving secret:NAME references), and reports what it changed.

${EXIT_HELP} Any high or critical finding left unfixed exits 1.`;

/** How bad a finding is. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

/** One audit finding. */
export interface Finding {
  id: string;
  severity: Severity;
  message: string;
  fix: string;
  /** Set by --fix when it repaired the finding. */
  fixed?: boolean;
  /** What --fix would chmod, and to which mode. */
  chmod?: { path: string; mode: number };
  /** What --fix would move out of a config file into the data dir's secret store. */
  move?: { file: string; dataDir: string };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const digestOf = (token: string) => (/^sha256:[0-9a-f]{64}$/.test(token) ? token.slice(7) : sha256(token));

function permFinding(id: string, path: string, want: number, severity: Severity): Finding[] {
  const facts = fileFacts(path);
  if (!facts) return [];
  if (facts.isSymlink) return [{ id: `${id}.symlink`, severity: 'medium', message: `${path} is a symlink`, fix: `replace it with a regular ${want === 0o700 ? 'directory' : 'file'}` }];
  if ((facts.mode & 0o077) === 0) return [];
  return [{ id: `${id}.perms`, severity, message: `${path} is ${octal(facts.mode)} (group/other can access it)`, fix: `chmod ${octal(want).slice(1)} ${path}`, chmod: { path, mode: want } }];
}

/** Collects the findings for a deployment (no changes made). */
export function audit(env: NodeJS.ProcessEnv, values: Record<string, unknown>): Finding[] {
  const { config, file } = inspectConfig(env, values);
  const out: Finding[] = [];
  const dir = resolve(config.dataDir);
  const tokenFile = adminTokenFile(dir);
  let adminDigest: string | null = config.gateway.token ? digestOf(config.gateway.token) : null;
  if (!adminDigest) {
    try {
      adminDigest = (JSON.parse(readFileSync(tokenFile, 'utf8')) as { sha256?: string }).sha256 ?? null;
    } catch {
      adminDigest = null;
    }
  }
  if (!adminDigest && config.gateway.credentials.length === 0) {
    out.push({ id: 'gateway.auth.none', severity: 'medium', message: 'no gateway token configured or generated yet', fix: 'start edgeclaw once (it generates and prints a token) or set gateway.token to sha256:<hex>' });
  }
  const raw = file ? safeRead(file) : {};
  const rawGateway = (raw.gateway ?? {}) as { token?: unknown; credentials?: { id?: unknown; secret?: unknown }[] };
  const inline = inlineSecrets(raw);
  if (file && inline.length > 0) {
    out.push({
      id: 'config.secret.inline',
      severity: 'medium',
      message: `inline secret in config file ${file}: ${inline.map((l) => l.name).join(', ')}`,
      fix: `edgeclaw security audit --fix moves them into the secret store (${secretStorePath(dir)}) and leaves secret:NAME references`,
      move: { file, dataDir: dir },
    });
  }
  if (typeof rawGateway.token === 'string' && !/^(sha256|secret|env):/.test(rawGateway.token)) {
    out.push({ id: 'gateway.token.plain', severity: 'medium', message: `${file} holds the gateway token in plain text`, fix: 'store its digest: gateway.token = "sha256:" + sha256(token) (edgeclaw config set)' });
  }
  const plainCreds = (Array.isArray(rawGateway.credentials) ? rawGateway.credentials : []).filter((c) => typeof c.secret === 'string' && !/^(sha256|pbkdf2-sha256|secret|env):/.test(c.secret));
  if (plainCreds.length) out.push({ id: 'gateway.credentials.plain', severity: 'low', message: `credentials with plain secrets in ${file}: ${plainCreds.map((c) => String(c.id)).join(', ')}`, fix: 'edgeclaw token revoke <id> && edgeclaw token create --id <id> (stores sha256 digests)' });
  const publicBind = !isLoopback(config.host);
  if (publicBind) {
    const proxied = config.gateway.trustedProxies.length > 0;
    out.push({ id: 'gateway.bind.public', severity: proxied ? 'medium' : 'high', message: `the gateway listens on ${config.host}:${config.port}, reachable from the network${proxied ? ' (behind a trusted proxy)' : ' without TLS'}`, fix: proxied ? 'make sure the proxy terminates TLS and this port is firewalled from everything but the proxy' : 'bind to 127.0.0.1 and put a TLS reverse proxy in front (set gateway.trustedProxies)' });
    if (config.agent.runner === 'model') {
      out.push({ id: 'agent.exec.public', severity: 'high', message: 'agent.runner=model with shell exec tools available on a network-reachable gateway', fix: 'bind to loopback, or use a narrow credential per client and keep approvals on (agent.runner=record pauses the agent)' });
    }
  }
  if (config.hooks.token && adminDigest && sha256(config.hooks.token) === adminDigest) {
    out.push({ id: 'hooks.token.reused', severity: 'high', message: 'hooks.token equals the gateway admin token', fix: 'set hooks.token / EDGECLAW_HOOKS_TOKEN to a different random value' });
  }
  out.push(
    ...permFinding('fs.data_dir', dir, 0o700, 'high'),
    ...permFinding('fs.secrets_dir', join(dir, 'secrets'), 0o700, 'high'),
    ...permFinding('fs.token_file', tokenFile, 0o600, 'high'),
    ...permFinding('fs.secret_store', secretStorePath(dir), 0o600, 'high'),
    ...(file ? permFinding('fs.config_file', file, 0o600, 'medium') : []),
  );
  return out;
}

function safeRead(file: string): Record<string, unknown> {
  try {
    return readConfigFile(file);
  } catch {
    return {};
  }
}

/** Applies the fixes in place (chmod; inline secrets moved to the store); returns how many were fixed. */
export function applyFixes(findings: Finding[]): number {
  let n = 0;
  for (const f of findings) {
    if (f.move) {
      try {
        const moved = writeConfigFile(f.move.file, readConfigFile(f.move.file), f.move.dataDir, 'edgeclaw security audit --fix');
        f.fixed = true;
        f.message = `moved into the secret store: ${moved.join(', ')}`;
        n++;
      } catch (err) {
        f.fixed = false;
        f.message += ` (--fix failed: ${err instanceof Error ? err.message : String(err)})`;
      }
      continue;
    }
    if (!f.chmod) continue;
    try {
      chmodSync(f.chmod.path, f.chmod.mode);
      f.fixed = true;
      n++;
    } catch {
      f.fixed = false;
    }
  }
  return n;
}

/** Runs `edgeclaw security audit`; resolves to the exit code. */
export async function runSecurity(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('security', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { ...DEPLOYMENT_FLAGS, fix: { type: 'boolean', default: false } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals[0] !== 'audit' || positionals.length > 1) throw new UsageError(positionals[0] ? `unknown action "${positionals.join(' ')}"` : 'missing action (audit)');
    const findings = audit(env, values);
    if (values.fix) applyFixes(findings);
    const open = findings.filter((f) => !f.fixed && (f.severity === 'high' || f.severity === 'critical'));
    const shown = findings.map(({ chmod: _chmod, move: _move, ...f }) => f);
    emit(io, values.json, { ok: open.length === 0, findings: shown }, () =>
      shown.length === 0
        ? 'no findings'
        : shown.map((f) => `${f.fixed ? 'fixed' : f.severity.padEnd(8)}  ${f.id}: ${f.message}${f.fixed ? '' : `\n          fix: ${f.fix}`}`).join('\n'),
    );
    return open.length ? EXIT.failure : EXIT.ok;
  });
}

/** The `security` subcommand. */
export const securityCommand: Command = {
  summary: 'security audit [--fix]: auth, public binds, exec exposure, file permissions, token reuse',
  run: (argv, env) => runSecurity(argv, env),
};
