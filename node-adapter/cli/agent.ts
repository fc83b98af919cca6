/**
 * `edgeclaw agent -m TEXT`: one agent turn through a running gateway (method `agent` over WebSocket, the
 * same two-phase call `openclaw agent` makes): prints the reply once the run ends.
 */
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { DEFAULT_GATEWAY_URL, GATEWAY_FLAGS, connectGateway, gatewayTarget } from './gateway-client.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw agent -m TEXT [--session KEY] [--agent ID] [--idempotency-key K] [--wait MS] [--url URL] [--token T] [--json]

  -m, --message       what to say (required)
  --session           session key (default: the agent's main session, agent:main:main)
  --agent             agent id (default main)
  --idempotency-key   run id; repeating it returns the same run instead of starting another (default: random)
  --wait              milliseconds to wait for the reply (default 120000)
  --url, --token      gateway WebSocket URL and token (env EDGECLAW_GATEWAY_URL, EDGECLAW_GATEWAY_TOKEN;
                      default ${DEFAULT_GATEWAY_URL})
  --json              print the final result object

${EXIT_HELP} A run that ends in error exits 1.`;

interface Final {
  runId?: string;
  status?: string;
  summary?: string;
  result?: { payloads?: { text?: string }[] };
}

/** Runs `edgeclaw agent …`; resolves to the exit code. */
export async function runAgent(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('agent', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, {
      ...GATEWAY_FLAGS,
      message: { type: 'string', short: 'm' },
      session: { type: 'string' },
      agent: { type: 'string' },
      'idempotency-key': { type: 'string' },
      wait: { type: 'string', default: '120000' },
    });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals.length > 0) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    if (!values.message?.trim()) throw new UsageError('-m/--message: a non-empty message is required');
    const waitMs = Number(values.wait);
    if (!Number.isInteger(waitMs) || waitMs < 1000 || waitMs > 3_600_000) throw new UsageError('--wait: expected milliseconds between 1000 and 3600000');
    const key = values['idempotency-key'] ?? `cli-${crypto.randomUUID()}`;
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(key)) throw new UsageError('--idempotency-key: expected 1-128 of A-Z a-z 0-9 . _ : -');
    const session = await connectGateway(gatewayTarget(values, env));
    try {
      const params = { message: values.message, idempotencyKey: key, ...(values.session ? { sessionKey: values.session } : {}), ...(values.agent ? { agentId: values.agent } : {}) };
      const final = (await session.callFinal('agent', params, waitMs)) as Final;
      const text = (final.result?.payloads ?? []).map((p) => p.text ?? '').filter(Boolean).join('\n');
      emit(io, values.json, final, () => text || `(no reply; run ${final.runId ?? key} ${final.summary ?? final.status ?? 'ended'})`);
      return final.status === 'ok' ? EXIT.ok : EXIT.failure;
    } finally {
      session.close();
    }
  });
}

/** The `agent` subcommand. */
export const agentCommand: Command = {
  summary: 'one agent turn through a running gateway: -m TEXT [--session KEY] (--url --token)',
  run: (argv, env) => runAgent(argv, env),
};
