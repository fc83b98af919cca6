/** The gateway's advertised and enforced limits, from settings. */
import type { Env } from '../env.ts';
import { settingsOf } from '../config/settings.ts';
import type { GatewayPolicy } from './connection.ts';

/** Policy of this deployment (hello-ok `policy`). */
export function gatewayPolicyOf(env: Env): GatewayPolicy {
  const g = settingsOf(env).gateway;
  return { maxPayload: g.maxPayload, maxBufferedBytes: g.maxBufferedBytes, tickIntervalMs: g.tickIntervalMs };
}
