/** Workers entry (wrangler `main`): the shared Hono app, the cron hook, and the Durable Object classes it binds. */
import { createApp } from '../src/app.ts';
import type { Env } from '../src/env.ts';

export { SessionDO } from './session-do.ts';
export { GatewayDO } from './gateway-do.ts';
export { LimiterDO } from './limiter-do.ts';
export { TelegramPollerDO } from './telegram-poller-do.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  /** Cron trigger: keeps Telegram pollers running and webhooks registered (both idempotent; logged-out accounts skipped). */
  scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext) {
    ctx.waitUntil(
      Promise.all([import('../src/channels/telegram/startup.ts'), import('../src/channels/account-state.ts')]).then(([m, s]) =>
        m.startTelegramAccounts(env, { skip: (id) => s.accountStoppedById(env, 'telegram', id) }),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
