/**
 * `edgeclaw token create|list|revoke`: gateway credentials in the config file's `gateway.credentials`,
 * stored only as `sha256:` digests. `create` prints the plain token once; it cannot be shown again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CredentialSchema } from '../../src/gateway/credentials.ts';
import { OPERATOR_SCOPES } from '../../src/gateway/scopes.ts';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, table, wantsJson, type Io } from './common.ts';
import { readConfigFile, requireConfigPath, setAt, writeConfigFile } from './config-file.ts';
import { secretDirOf } from '../config-secrets.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw token <create --id ID [--scope S]... [--role operator|node] | list | revoke <id>> [--config FILE] [--json]

  create   adds a credential; prints its token once (only its SHA-256 digest is stored)
  list     lists credentials (id, role, scopes, how the secret is stored; never the secret)
  revoke   removes a credential by id

  --scope    a granted scope (repeatable, or comma-separated): ${OPERATOR_SCOPES.join(', ')}
             default operator.read
  --role     operator (default) or node
  --config   config file (env EDGECLAW_CONFIG); restart edgeclaw to apply changes

${EXIT_HELP}`;

const CreateFlags = z.strictObject({
  id: CredentialSchema.shape.id,
  role: z.enum(['operator', 'node']),
  scopes: z.array(z.enum(OPERATOR_SCOPES, { error: (i) => `unknown scope ${JSON.stringify(i.input)} (allowed: ${OPERATOR_SCOPES.join(', ')})` })).min(1).max(OPERATOR_SCOPES.length),
});

type StoredCredential = { id?: unknown; kind?: unknown; secret?: unknown; role?: unknown; scopes?: unknown };

function credentialsIn(data: Record<string, unknown>): StoredCredential[] {
  const gateway = data.gateway as { credentials?: unknown } | undefined;
  return Array.isArray(gateway?.credentials) ? (gateway.credentials as StoredCredential[]) : [];
}

function storage(secret: unknown): string {
  if (typeof secret !== 'string') return 'invalid';
  if (/^sha256:[0-9a-f]{64}$/.test(secret)) return 'sha256';
  if (secret.startsWith('pbkdf2-sha256:')) return 'pbkdf2';
  return 'plain (rotate: edgeclaw token revoke + create)';
}

/** Runs `edgeclaw token …`; resolves to the exit code. */
export async function runToken(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('token', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { config: { type: 'string' }, id: { type: 'string' }, scope: { type: 'string', multiple: true }, role: { type: 'string', default: 'operator' } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    const [action, ...args] = positionals;
    const file = requireConfigPath(values.config, env);
    const data = readConfigFile(file);
    const list = credentialsIn(data);
    if (action === 'create') {
      if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')}`);
      const scopes = (values.scope ?? ['operator.read']).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      const parsed = CreateFlags.safeParse({ id: values.id, role: values.role, scopes });
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UsageError(`--${issue.path[0] === 'scopes' ? 'scope' : String(issue.path[0])}: ${values.id === undefined && issue.path[0] === 'id' ? 'required' : issue.message}`);
      }
      const { id, role } = parsed.data;
      if (list.some((c) => c.id === id)) throw new UsageError(`a credential "${id}" already exists (revoke it first)`);
      const token = `ect_${randomBytes(32).toString('base64url')}`;
      const secret = `sha256:${createHash('sha256').update(token).digest('hex')}`;
      const scopesOut = role === 'node' ? [] : [...new Set(parsed.data.scopes)];
      writeConfigFile(file, setAt(data, ['gateway', 'credentials'], [...list, { id, kind: 'token', secret, role, scopes: scopesOut }]), secretDirOf(data, env), 'edgeclaw token');
      emit(io, values.json, { ok: true, id, role, scopes: scopesOut, token, file }, `created credential "${id}" (${role}${scopesOut.length ? `: ${scopesOut.join(', ')}` : ''}) in ${file}\n\n    ${token}\n\nThis token is shown only once; only its SHA-256 digest is stored. Restart edgeclaw to apply.`);
      return EXIT.ok;
    }
    if (action === 'list') {
      if (args.length > 0) throw new UsageError(`unexpected arguments: ${args.join(' ')}`);
      const rows = list.map((c) => ({ id: c.id, kind: c.kind ?? 'token', role: c.role ?? 'operator', scopes: Array.isArray(c.scopes) ? c.scopes.join(',') : 'operator.read', stored: storage(c.secret) }));
      emit(io, values.json, { ok: true, file, credentials: rows }, () => (rows.length ? table(rows, ['id', 'kind', 'role', 'scopes', 'stored']) : `no credentials in ${file}`));
      return EXIT.ok;
    }
    if (action === 'revoke') {
      if (args.length !== 1) throw new UsageError('revoke needs exactly one credential id');
      const id = args[0]!;
      if (!list.some((c) => c.id === id)) throw new UsageError(`no credential "${id}" in ${file}`);
      writeConfigFile(file, setAt(data, ['gateway', 'credentials'], list.filter((c) => c.id !== id)), secretDirOf(data, env), 'edgeclaw token');
      emit(io, values.json, { ok: true, id, revoked: true, file }, `revoked credential "${id}" (restart edgeclaw to apply)`);
      return EXIT.ok;
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
  });
}

/** The `token` subcommand. */
export const tokenCommand: Command = {
  summary: 'gateway credentials in the config file: create --id ID [--scope S] | list | revoke <id>',
  run: (argv, env) => runToken(argv, env),
};
