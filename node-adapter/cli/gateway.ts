/** `edgeclaw gateway status|health|call <method> [--params JSON]`: a real client of a running gateway over WebSocket. */
import JSON5 from 'json5';
import { EXIT, EXIT_HELP, PROCESS_IO, UsageError, emit, guard, parseFlags, wantsJson, type Io } from './common.ts';
import { DEFAULT_GATEWAY_URL, GATEWAY_FLAGS, callGateway, gatewayTarget } from './gateway-client.ts';
import type { Command } from './index.ts';

const USAGE = `usage: edgeclaw gateway <status|health|call <method>> [--params JSON] [--url URL] [--token T] [--timeout MS] [--json]

  status            the gateway's status summary (version, sessions, uptime)
  health            the gateway's health snapshot
  call <method>     any gateway method; --params is a JSON5 object (default {})

  --url      gateway WebSocket URL (env EDGECLAW_GATEWAY_URL, default ${DEFAULT_GATEWAY_URL})
  --token    gateway token (env EDGECLAW_GATEWAY_TOKEN)
  --timeout  milliseconds to wait for each step (default 10000)
  --json     print the response payload as JSON

${EXIT_HELP} A method rejecting its params (INVALID_REQUEST) exits 2.`;

function parseParams(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON5.parse(raw);
  } catch (err) {
    throw new UsageError(`--params: expected JSON: ${(err as Error).message}`);
  }
}

function human(action: string, payload: unknown): string {
  const p = payload as Record<string, any>;
  if (action === 'status' && p && typeof p === 'object') {
    return [`version   ${p.runtimeVersion ?? '?'}`, `uptime    ${Math.round(Number(p.uptimeMs ?? 0) / 1000)} s`, `sessions  ${p.sessions?.count ?? 0}`].join('\n');
  }
  if (action === 'health' && p && typeof p === 'object') return `ok: ${String(p.ok)} (${p.durationMs ?? '?'} ms)`;
  return JSON.stringify(payload, null, 2);
}

/** Runs `edgeclaw gateway …`; resolves to the exit code. */
export async function runGateway(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('gateway', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { ...GATEWAY_FLAGS, params: { type: 'string' } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    const [action, method, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    let call: { method: string; params: unknown };
    if (action === 'status' || action === 'health') {
      if (method !== undefined) throw new UsageError(`unexpected argument: ${method}`);
      call = { method: action, params: parseParams(values.params) ?? {} };
    } else if (action === 'call') {
      if (!method) throw new UsageError('call needs a method name, e.g. edgeclaw gateway call sessions.list');
      call = { method, params: parseParams(values.params) };
    } else {
      throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    }
    const payload = await callGateway(gatewayTarget(values, env), call.method, call.params);
    emit(io, values.json, payload, () => human(action, payload));
    return EXIT.ok;
  });
}

/** The `gateway` subcommand. */
export const gatewayCommand: Command = {
  summary: 'talk to a running gateway: status | health | call <method> [--params JSON] (--url --token)',
  run: (argv, env) => runGateway(argv, env),
};
