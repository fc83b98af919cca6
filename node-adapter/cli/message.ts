/**
 * `edgeclaw message send --to TARGET -m TEXT`: delivers a message to a channel target through a running
 * gateway (method `send` over WebSocket: the channel's outbox, deduplicated by the idempotency key).
 */
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { DEFAULT_GATEWAY_URL, GATEWAY_FLAGS, callGateway, gatewayTarget } from './gateway-client.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw message send --to TARGET -m TEXT [--channel C] [--account ID] [--idempotency-key K] [--url URL] [--token T] [--json]

  --to                the channel's recipient (Telegram: a chat id)
  -m, --message       the text to send (required)
  --channel           channel name, e.g. telegram (default: the gateway's choice for the target)
  --account           channel account id
  --idempotency-key   repeating it delivers once (default: random)
  --url, --token      gateway WebSocket URL and token (env EDGECLAW_GATEWAY_URL, EDGECLAW_GATEWAY_TOKEN;
                      default ${DEFAULT_GATEWAY_URL})

${EXIT_HELP} A gateway without the send method, or a target it rejects, exits 2.`;

/** Runs `edgeclaw message …`; resolves to the exit code. */
export async function runMessage(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('message', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, {
      ...GATEWAY_FLAGS,
      to: { type: 'string' },
      message: { type: 'string', short: 'm' },
      channel: { type: 'string' },
      account: { type: 'string' },
      'idempotency-key': { type: 'string' },
    });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    if (positionals[0] !== 'send' || positionals.length > 1) throw new UsageError(positionals[0] ? `unknown action "${positionals.join(' ')}"` : 'missing action (send)');
    if (!values.to?.trim()) throw new UsageError('--to: a recipient is required');
    if (!values.message?.trim()) throw new UsageError('-m/--message: a non-empty message is required');
    if (values.channel !== undefined && !/^[a-z0-9_-]{1,32}$/.test(values.channel)) throw new UsageError('--channel: expected a channel name like telegram');
    const key = values['idempotency-key'] ?? `cli-${crypto.randomUUID()}`;
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(key)) throw new UsageError('--idempotency-key: expected 1-128 of A-Z a-z 0-9 . _ : -');
    const params = { to: values.to.trim(), message: values.message, idempotencyKey: key, ...(values.channel ? { channel: values.channel } : {}), ...(values.account ? { accountId: values.account } : {}) };
    const payload = (await callGateway(gatewayTarget(values, env), 'send', params)) as Record<string, unknown>;
    emit(io, values.json, payload, () => `sent${payload.messageId !== undefined ? ` (message ${String(payload.messageId)})` : ''}${payload.channel ? ` via ${String(payload.channel)}` : ''}`);
    return EXIT.ok;
  });
}

/** The `message` subcommand. */
export const messageCommand: Command = {
  summary: 'send a message to a channel target through a running gateway: send --to T -m TEXT (--url --token)',
  run: (argv, env) => runMessage(argv, env),
};
