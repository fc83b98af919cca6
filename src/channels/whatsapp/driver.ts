/** The WhatsApp Cloud API driver: webhook at `/whatsapp/<account>/webhook`, text replies through the Graph API. */
import { publicUrl } from '../accounts.ts';
import { accountFingerprint, type ChannelDriver } from '../channel-driver.ts';
import { resolveWhatsAppAccounts } from './config.ts';
import { parseWhatsAppTarget } from './webhook.ts';

/** WhatsApp in the channel registry. */
export const whatsappDriver: ChannelDriver = {
  id: 'whatsapp',
  label: 'WhatsApp',
  detailLabel: 'WhatsApp Cloud API',
  supports: { edit: false, delete: false, reactions: true, threads: false, polls: true, media: true, dmPairing: true },
  accounts: (env) =>
    resolveWhatsAppAccounts(env).map((a) => ({
      id: a.id,
      mode: 'webhook',
      fingerprint: accountFingerprint(a),
      fromEnv: a.id === 'default' && Boolean(env.WHATSAPP_TOKEN || env.WHATSAPP_APP_SECRET),
      details: { dmPolicy: a.dmPolicy, allowFrom: a.allowFrom, baseUrl: publicUrl(a.apiRoot) },
    })),
  routes: () => import('./routes.ts').then((m) => m.whatsappRoutes()),
  parseTarget: parseWhatsAppTarget,
  outbox: (env, store) => import('./delivery.ts').then((m) => m.whatsappOutboxFor(env, store)),
};
