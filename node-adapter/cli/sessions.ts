/** `edgeclaw sessions list [--limit N]`: the sessions of a running gateway (method sessions.list over WebSocket). */
import { z } from 'zod';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, table, wantsJson, type Io } from './common.ts';
import { DEFAULT_GATEWAY_URL, GATEWAY_FLAGS, callGateway, gatewayTarget } from './gateway-client.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw sessions list [--limit N] [--url URL] [--token T] [--json]

  --limit    at most N sessions, most recent first (1-500, default 100)
  --url      gateway WebSocket URL (env EDGECLAW_GATEWAY_URL, default ${DEFAULT_GATEWAY_URL})
  --token    gateway token (env EDGECLAW_GATEWAY_TOKEN)

${EXIT_HELP}`;

const Limit = z.coerce.number().int().min(1).max(500);

/** Runs `edgeclaw sessions …`; resolves to the exit code. */
export async function runSessions(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('sessions', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { ...GATEWAY_FLAGS, limit: { type: 'string', default: '100' } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals[0] !== 'list' || positionals.length > 1) throw new UsageError(positionals[0] ? `unknown action "${positionals.join(' ')}"` : 'missing action');
    const limit = Limit.safeParse(values.limit);
    if (!limit.success) throw new UsageError('--limit: expected an integer between 1 and 500');
    const payload = (await callGateway(gatewayTarget(values, env), 'sessions.list', { limit: limit.data })) as { sessions?: Record<string, unknown>[] };
    const rows = (payload.sessions ?? []).map((s) => ({ ...s, updatedAt: typeof s.updatedAt === 'number' ? new Date(s.updatedAt).toISOString() : s.updatedAt }));
    emit(io, values.json, payload, () => (rows.length === 0 ? 'no sessions' : table(rows, ['key', 'agentId', 'updatedAt', 'hasActiveRun'])));
    return EXIT.ok;
  });
}

/** The `sessions` subcommand. */
export const sessionsCommand: Command = {
  summary: 'list sessions of a running gateway: list [--limit N] (--url --token)',
  run: (argv, env) => runSessions(argv, env),
};
