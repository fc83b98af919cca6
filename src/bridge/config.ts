// The `bridge` config section: one zod schema for the config file, its env overrides and the
// `edgeclaw bridge` flags (the CLI maps its flags onto these keys), so the rules live in one place.
import { z } from 'zod';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: 'expected true or false' })
  .transform((v) => v === true || v === 'true' || v === '1');

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected an integer between ${min} and ${max}` })
    .int(`expected an integer between ${min} and ${max}`)
    .min(min, `expected an integer between ${min} and ${max}`)
    .max(max, `expected an integer between ${min} and ${max}`);

/** What the bridge does when an action it only observed (tool call, inbound message) is blocked. */
export const ON_BLOCK = ['abort', 'note', 'log'] as const;
/** One of ON_BLOCK: `abort` = chat.abort the run + a transcript note, `note` = only the note, `log` = audit + log only. */
export type OnBlock = (typeof ON_BLOCK)[number];

/** Defaults of the section (also what an absent section means: bridge off). */
export const BRIDGE_DEFAULTS = {
  review: 'deny' as const,
  reviewTimeoutMs: 60_000,
  maxBackoffMs: 30_000,
  leastPrivilege: false,
  insecure: false,
  onBlock: 'abort' as const,
  dedupeCap: 4096,
  queueCap: 1024,
};

/**
 * The `bridge` section. Unset `url` keeps the bridge off (a token alone, e.g. OPENCLAW_GATEWAY_TOKEN left in the
 * environment for the openclaw CLI, does not turn it on).
 * @example BridgeConfigSchema.parse({ url: 'ws://127.0.0.1:18789', token: 't' }).review === 'deny'
 */
export const BridgeConfigSchema = z
  .strictObject({
    /** The OpenClaw gateway to dial: ws:// (loopback only unless `insecure`) or wss://. */
    url: z
      .string()
      .max(2048)
      .refine((u) => URL.canParse(u) && /^wss?:$/.test(new URL(u).protocol), 'expected a ws:// or wss:// URL')
      .optional()
      .describe('Node, bridge mode: the OpenClaw gateway to dial (`ws://` only to a loopback host unless `insecure`); unset = no bridge'),
    /** OpenClaw gateway token (a secret: never logged; env OPENCLAW_GATEWAY_TOKEN). */
    token: z.string().min(1, 'expected a non-empty token').max(4096, 'expected at most 4096 characters').optional().describe('the OpenClaw gateway token (a secret, never logged); required with `url`'),
    /** Review-level exec approvals: `deny` after `reviewTimeoutMs`, or `wait` for a human. */
    review: z.enum(['deny', 'wait'], { error: 'expected deny or wait' }).default(BRIDGE_DEFAULTS.review).describe('review-level exec approvals: `deny` after `reviewTimeoutMs`, or `wait` for a human'),
    reviewTimeoutMs: int(0, 86_400_000).default(BRIDGE_DEFAULTS.reviewTimeoutMs).describe('how long a review-level approval waits before the bridge denies it (`review: deny`)'),
    /** Cap of the jittered reconnect backoff (it starts at min(1 s, cap) and doubles). */
    maxBackoffMs: int(100, 300_000).default(BRIDGE_DEFAULTS.maxBackoffMs).describe('cap of the jittered reconnect backoff (doubling from 1 s, reset after 60 s connected)'),
    /** Ask only operator.read + operator.approvals (no admin: approvals of other connections, chat.abort and notes are unavailable). */
    leastPrivilege: flag.default(BRIDGE_DEFAULTS.leastPrivilege).describe('ask only `operator.read` + `operator.approvals` (no admin: fewer visible approvals, blocks only audited)'),
    /** Allow ws:// to a non-loopback host (the token then crosses the network in clear text). */
    insecure: flag.default(BRIDGE_DEFAULTS.insecure).describe('allow `ws://` to a non-loopback host (the token crosses the network in clear text)'),
    /** Blocked tool calls and inbound messages (seen after the fact): see ON_BLOCK. */
    onBlock: z.enum(ON_BLOCK, { error: 'expected abort, note or log' }).default(BRIDGE_DEFAULTS.onBlock).describe('a blocked tool call or inbound message: `abort` (chat.abort + note), `note` (transcript note), `log` (audit + log only)'),
    /** Action ids remembered so a redelivered action is decided once (LRU beyond the cap). */
    dedupeCap: int(16, 1_000_000).default(BRIDGE_DEFAULTS.dedupeCap).describe('action ids remembered so a redelivered action is decided once (least recently used forgotten first)'),
    /** Observed actions waiting across all sessions; beyond it new ones are dropped (counted and logged). */
    queueCap: int(1, 100_000).default(BRIDGE_DEFAULTS.queueCap).describe('observed actions held at once across sessions; beyond it new ones are dropped, counted and logged'),
  })
  .superRefine((b, ctx) => {
    if (b.url === undefined) return;
    if (b.token === undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'required when bridge.url is set (or set OPENCLAW_GATEWAY_TOKEN)' });
    if (!URL.canParse(b.url)) return;
    const u = new URL(b.url);
    if (u.protocol === 'ws:' && !b.insecure && !LOOPBACK.has(u.hostname)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'ws:// sends the token in clear text; use wss:// for a non-loopback host (or set bridge.insecure)' });
    }
  });

/** The validated section. */
export type BridgeConfig = z.output<typeof BridgeConfigSchema>;
/** A section with the bridge on (url and token present). */
export type EnabledBridgeConfig = BridgeConfig & { url: string; token: string };

/**
 * True when the section turns the bridge on.
 * @example bridgeEnabled(config.bridge) && startBridge(config.bridge)
 */
export function bridgeEnabled(b: BridgeConfig): b is EnabledBridgeConfig {
  return b.url !== undefined && b.token !== undefined;
}
