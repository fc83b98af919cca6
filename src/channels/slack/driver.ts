/** The Slack driver: Events API webhook at `/slack/<account>/events`, replies with chat.postMessage in thread. */
import { publicUrl } from '../accounts.ts';
import { accountFingerprint, type ChannelDriver } from '../channel-driver.ts';
import { resolveSlackAccounts } from './config.ts';
import { parseSlackTarget } from './events.ts';

/** Slack in the channel registry. */
export const slackDriver: ChannelDriver = {
  id: 'slack',
  label: 'Slack',
  detailLabel: 'Slack Bot',
  supports: { edit: true, delete: true, reactions: true, threads: true, polls: false, media: true, dmPairing: true },
  accounts: (env) =>
    resolveSlackAccounts(env).map((a) => ({
      id: a.id,
      mode: 'events',
      fingerprint: accountFingerprint(a),
      fromEnv: a.id === 'default' && Boolean(env.SLACK_BOT_TOKEN || env.SLACK_SIGNING_SECRET),
      details: { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, baseUrl: publicUrl(a.apiRoot) },
    })),
  routes: () => import('./routes.ts').then((m) => m.slackRoutes()),
  parseTarget: parseSlackTarget,
  outbox: (env, store) => import('./delivery.ts').then((m) => m.slackOutboxFor(env, store)),
};
