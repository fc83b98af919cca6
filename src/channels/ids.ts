// The canonical channel ids, apart from the registry: the app mounts `/<id>` for each without importing any
// driver (the registry and the driver load on the first request there).
import type { ChannelId } from './channel-driver.ts';

/** Canonical ids of the channels edgeclaw has drivers for, in the reference's runtime order (registry.ts has one driver per id). */
export const CHANNEL_IDS = ['telegram', 'whatsapp', 'discord', 'slack', 'signal'] as const satisfies readonly ChannelId[];
