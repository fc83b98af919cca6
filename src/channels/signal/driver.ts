/**
 * The Signal driver (Node only): a signal-cli daemon's event stream in (node-adapter hosts the
 * receiver), JSON-RPC `send` out. No HTTP routes: nothing reaches edgeclaw from outside for Signal.
 */
import { publicUrl } from '../accounts.ts';
import { accountFingerprint, type ChannelDriver } from '../channel-driver.ts';
import { resolveSignalAccounts } from './config.ts';
import { parseSignalTarget } from './events.ts';

/** Signal in the channel registry. */
export const signalDriver: ChannelDriver = {
  id: 'signal',
  label: 'Signal',
  detailLabel: 'Signal REST',
  supports: { edit: false, delete: false, reactions: true, threads: false, polls: false, media: true, dmPairing: true },
  accounts: (env) =>
    resolveSignalAccounts(env).map((a) => ({
      id: a.id,
      mode: 'sse',
      hosted: true,
      fingerprint: accountFingerprint(a),
      fromEnv: a.id === 'default' && Boolean(env.SIGNAL_URL || env.SIGNAL_NUMBER),
      details: { baseUrl: publicUrl(a.url), dmPolicy: a.dmPolicy, allowFrom: a.allowFrom },
    })),
  parseTarget: parseSignalTarget,
  outbox: (env, store) => import('./delivery.ts').then((m) => m.signalOutboxFor(env, store)),
};
