/** Workers entry (wrangler `main`): the shared Hono app plus the Durable Object classes it binds. */
import { createApp } from '../src/app.ts';

export { SessionDO } from './session-do.ts';
export { LimiterDO } from './limiter-do.ts';
export { GatewayDO } from './gateway-do.ts';

export default createApp() satisfies ExportedHandler<never>;
