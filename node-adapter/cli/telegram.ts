/**
 * `edgeclaw telegram set-webhook|delete-webhook|info [--account <id>] [--url <base>] [--force] [--drop-pending]`:
 * manages the Bot API webhook of a configured account (TELEGRAM_* env vars or EDGECLAW_TELEGRAM JSON).
 * Never prints the token or the secret.
 */
import { parseArgs } from 'node:util';
import { createBotApi, describeError } from '../../src/channels/telegram/api.ts';
import { findTelegramAccount, resolveTelegramAccounts } from '../../src/channels/telegram/config.ts';
import { ensureWebhook } from '../../src/channels/telegram/registration.ts';
import type { Command } from './index.ts';

const USAGE = 'usage: edgeclaw telegram <set-webhook|delete-webhook|info> [--account <id>] [--url <public base url>] [--force] [--drop-pending]';

/** Where the command writes (process streams by default; tests capture them). */
interface Streams {
  write(text: string): unknown;
}

async function run(argv: readonly string[], env: NodeJS.ProcessEnv, out: Streams = process.stdout, err: Streams = process.stderr): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { account: { type: 'string', default: 'default' }, url: { type: 'string' }, force: { type: 'boolean', default: false }, 'drop-pending': { type: 'boolean', default: false } },
    });
  } catch (e) {
    err.write(`edgeclaw telegram: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [action] = args.positionals;
  if (!action || !['set-webhook', 'delete-webhook', 'info'].includes(action)) {
    err.write(`${USAGE}\n`);
    return 2;
  }
  let account;
  try {
    account = findTelegramAccount(env, args.values.account);
    if (!account) {
      const ids = resolveTelegramAccounts(env).map((a) => a.id);
      err.write(`edgeclaw telegram: no account "${args.values.account}" (configured: ${ids.join(', ') || 'none; set TELEGRAM_BOT_TOKEN'})\n`);
      return 2;
    }
  } catch (e) {
    err.write(`edgeclaw telegram: ${(e as Error).message}\n`);
    return 2;
  }
  const api = createBotApi(account, { timeoutSeconds: 30 });
  try {
    if (action === 'set-webhook') {
      const r = await ensureWebhook(account, api, { ...(args.values.url ? { baseUrl: args.values.url } : {}), force: args.values.force, dropPendingUpdates: args.values['drop-pending'] });
      out.write(`${r.action === 'unchanged' ? 'webhook already registered' : 'webhook registered'}: ${r.url}\n`);
    } else if (action === 'delete-webhook') {
      await api.deleteWebhook({ drop_pending_updates: args.values['drop-pending'] });
      out.write('webhook deleted\n');
    } else {
      const info = await api.getWebhookInfo();
      out.write(`${JSON.stringify({ account: account.id, transport: account.transport, url: info.url || null, pendingUpdates: info.pending_update_count, lastError: info.last_error_message ?? null, allowedUpdates: info.allowed_updates ?? null }, null, 2)}\n`);
    }
    return 0;
  } catch (e) {
    err.write(`edgeclaw telegram ${action}: ${describeError(e)}\n`);
    return 1;
  }
}

/** The `telegram` subcommand (register with one line in COMMANDS). */
export const telegramCommand: Command = {
  summary: 'manage the Telegram webhook: set-webhook | delete-webhook | info (--account --url --force --drop-pending)',
  run: (argv, env) => run(argv, env),
};

export { run as runTelegramCli };
