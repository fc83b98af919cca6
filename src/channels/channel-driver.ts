/**
 * The interface every channel driver implements (kept small: ids, accounts, routes, reply delivery,
 * status and logout hooks), and the account fingerprint a logout is tied to.
 */
import type { Hono } from 'hono';
import type { Env } from '../env.ts';
import type { ChannelOutbox, ReplyTarget } from './envelope.ts';
import type { OutboxStore } from './outbox.ts';

/** A canonical channel id with a driver. */
export type ChannelId = 'telegram' | 'whatsapp' | 'discord' | 'slack' | 'signal';

/** What a channel can do (seed-system §6.2 capability table). */
export interface ChannelSupports {
  readonly edit: boolean;
  readonly delete: boolean;
  readonly reactions: boolean;
  readonly threads: boolean;
  readonly polls: boolean;
  readonly media: boolean;
  readonly dmPairing: boolean;
}

/** One configured account as status and logout see it (never a secret). */
export interface ChannelAccountInfo {
  readonly id: string;
  /** How it receives: `webhook`, `polling`, `events`, `interactions`, `gateway`, `sse`. */
  readonly mode: string;
  /** Changes whenever the account's config changes; a logout applies to one fingerprint. */
  readonly fingerprint: string;
  /** True when the zero-config env vars define it (a logout cannot clear those). */
  readonly fromEnv: boolean;
  /** Receives through a connection only a host keeps (Discord Gateway, Signal events): Node only. */
  readonly hosted?: boolean;
  /** Extra non-secret fields for `channels.status` (dmPolicy, baseUrl, …). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Live state of a running connection (poller, gateway socket, event stream). */
export interface LiveAccountState {
  readonly running: boolean;
  readonly connected: boolean;
  readonly lastError?: string | null;
  readonly lastConnectedAt?: number | null;
  readonly reconnectAttempts?: number;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Long-running connections a host keeps (Node: the Discord gateway socket, the Signal event stream).
 * Workers have none: those modes are Node only.
 */
export interface ChannelHost {
  live(channel: string, account: string): LiveAccountState | null;
  /** Stops the connection of an account (logout); false when it had none. */
  stop(channel: string, account: string): Promise<boolean>;
  /** (Re)starts it (channels.start); false when this host does not run that account. */
  start(channel: string, account: string): Promise<boolean>;
}

/** A channel driver: small on purpose; heavy parts load on first use. */
export interface ChannelDriver {
  readonly id: ChannelId;
  readonly label: string;
  readonly detailLabel: string;
  readonly supports: ChannelSupports;
  /** Configured accounts (throws an Error naming what to fix when the config is invalid). */
  accounts(env: Env): readonly ChannelAccountInfo[];
  /** Its HTTP sub-app, mounted at `/<id>` (routes are `/<id>/<account>/…`); imported on first request. */
  routes?(): Promise<Hono<{ Bindings: Env }>>;
  /** The reply target in a session item's `thread`, when it is this channel's. */
  parseTarget(thread: string): ReplyTarget | null;
  /** The outbox agent replies go through (each chunk once per reply key). */
  outbox(env: Env, store: OutboxStore): Promise<ChannelOutbox>;
  /** Live state of a connection the driver itself keeps (Telegram's poller object). */
  live?(env: Env, account: string): Promise<LiveAccountState | null>;
  /** Side effects of a logout beyond refusing traffic (Telegram: stop the poller, delete the webhook). */
  stop?(env: Env, account: string): Promise<void>;
  /** Side effects of channels.start (Telegram: start the poller, register the webhook). */
  start?(env: Env, account: string): Promise<void>;
}

/**
 * A short stable fingerprint of an account's config (FNV-1a over its JSON; change detection only).
 * @example accountFingerprint({ id: 'a' }) !== accountFingerprint({ id: 'b' })
 */
export function accountFingerprint(account: unknown): string {
  const text = JSON.stringify(account) ?? '';
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}
