/**
 * `edgeclaw pairing list|approve|reject|revoke`: DM pairing of a running gateway, as a real WebSocket
 * client (methods `channels.pairing.*`, scope operator.pairing; the first approval of an account also
 * needs operator.admin because it makes the sender the owner).
 */
import { EXIT, PROCESS_IO, UsageError, emit, guard, parseFlags, table, wantsJson, type Io } from './common.ts';
import { DEFAULT_GATEWAY_URL, GATEWAY_FLAGS, GatewayCallError, callGateway, gatewayTarget } from './gateway-client.ts';
import type { Command } from './index.ts';

/** Exit codes of `edgeclaw pairing` (0-2 as every command; 3 and 4 are pairing's own). */
export const PAIRING_EXIT = { ...EXIT, notFound: 3, forbidden: 4 } as const;

/** `details.code` values of a pairing error that mean "no such code or sender" (exit 3). */
const NOT_FOUND_CODES = new Set(['PAIRING_CODE_NOT_FOUND', 'PAIRING_CODE_EXPIRED', 'PAIRING_SENDER_NOT_FOUND']);

const USAGE = `usage: edgeclaw pairing <action> [flags]

  list [--channel C] [--account A]        pending requests (with codes) and approved senders
  approve <channel> <code> [--account A] [--no-notify]
                                          approve a code; the sender is told once on the channel
  reject <channel> <code> [--account A]   dismiss a pending code
  revoke <channel> <senderId> [--account A]
                                          remove an approved sender

  --url      gateway WebSocket URL (env EDGECLAW_GATEWAY_URL, default ${DEFAULT_GATEWAY_URL})
  --token    gateway token with operator.pairing (env EDGECLAW_GATEWAY_TOKEN)
  --json     print the gateway's answer as JSON

Exit codes: 0 ok, 1 runtime failure (gateway unreachable or refused), 2 usage or input error
(bad flags, a malformed code), 3 no such pending code (unknown or expired) or approved sender,
4 forbidden (missing scope; the first approval of an account needs operator.admin).`;

/** Runs `edgeclaw pairing …`; resolves to the exit code. */
export async function runPairing(argv: readonly string[], env: NodeJS.ProcessEnv, io: Io = PROCESS_IO): Promise<number> {
  const json = wantsJson(argv);
  return guard('pairing', USAGE, io, json, async () => {
    const { values, positionals } = parseFlags(argv, { ...GATEWAY_FLAGS, channel: { type: 'string' }, account: { type: 'string' }, 'no-notify': { type: 'boolean', default: false } });
    if (values.help) return io.out(`${USAGE}\n`), EXIT.ok;
    const [action, ...rest] = positionals;
    const account = values.account ? { accountId: values.account } : {};
    const call = async (method: string, params: Record<string, unknown>) => {
      try {
        return await callGateway(gatewayTarget(values, env), method, params);
      } catch (err) {
        if (err instanceof GatewayCallError && method !== 'connect') {
          const detail = String(err.error.details?.code ?? '');
          const exit = NOT_FOUND_CODES.has(detail) ? PAIRING_EXIT.notFound : err.error.code === 'FORBIDDEN' ? PAIRING_EXIT.forbidden : null;
          if (exit !== null) throw Object.assign(err, { exitCode: exit });
        }
        throw err;
      }
    };
    const need = (n: number, what: string) => {
      if (rest.length !== n) throw new UsageError(`${action} takes ${what}`);
    };
    switch (action) {
      case 'list': {
        need(0, 'no positional arguments (use --channel/--account)');
        const payload = (await call('channels.pairing.list', { ...(values.channel ? { channel: values.channel } : {}), ...account })) as { requests: Record<string, unknown>[]; approved: Record<string, unknown>[] };
        const iso = (v: unknown) => (typeof v === 'number' ? new Date(v).toISOString() : v);
        emit(io, values.json, payload, () =>
          [
            payload.requests.length === 0 ? 'no pending pairing requests' : table(payload.requests.map((r) => ({ ...r, expiresAt: iso(r.expiresAt) })), ['channel', 'accountId', 'code', 'senderId', 'username', 'expiresAt']),
            '',
            payload.approved.length === 0 ? 'no approved senders' : table(payload.approved.map((a) => ({ ...a, approvedAt: iso(a.approvedAt) })), ['channel', 'accountId', 'senderId', 'username', 'owner', 'approvedAt', 'notice']),
          ].join('\n'),
        );
        return EXIT.ok;
      }
      case 'approve': {
        need(2, '<channel> <code>');
        const payload = (await call('channels.pairing.approve', { channel: rest[0], code: rest[1], ...account, ...(values['no-notify'] ? { notify: false } : {}) })) as {
          approved: { channel: string; accountId: string; senderId: string; username: string | null; owner: boolean };
          changed: boolean;
          notice: { status: string; error?: string };
        };
        const a = payload.approved;
        const who = `${a.senderId}${a.username ? ` (@${a.username})` : ''}`;
        emit(io, values.json, payload, () =>
          [
            `${payload.changed ? 'approved' : 'already approved'}: ${who} on ${a.channel}/${a.accountId}${a.owner ? ' (owner)' : ''}`,
            `notice: ${payload.notice.status}${payload.notice.error ? ` (${payload.notice.error}); approve the same code again to retry` : ''}`,
          ].join('\n'),
        );
        return EXIT.ok;
      }
      case 'reject': {
        need(2, '<channel> <code>');
        const payload = (await call('channels.pairing.dismiss', { channel: rest[0], code: rest[1], ...account })) as { dismissed: { senderId: string; code: string } };
        emit(io, values.json, payload, `rejected: code ${payload.dismissed.code} of ${payload.dismissed.senderId}`);
        return EXIT.ok;
      }
      case 'revoke': {
        need(2, '<channel> <senderId>');
        const payload = (await call('channels.pairing.revoke', { channel: rest[0], senderId: rest[1], ...account })) as { revoked: { senderId: string; channel: string; accountId: string } };
        emit(io, values.json, payload, `revoked: ${payload.revoked.senderId} on ${payload.revoked.channel}/${payload.revoked.accountId}`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    }
  });
}

/** The `pairing` subcommand. */
export const pairingCommand: Command = {
  summary: 'DM pairing of a running gateway: list | approve <channel> <code> | reject <channel> <code> | revoke <channel> <senderId>',
  run: (argv, env) => runPairing(argv, env),
};
