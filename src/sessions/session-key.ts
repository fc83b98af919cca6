/**
 * Session keys: the loose routing schema plus the full grammar (`agent:<agentId>:main`,
 * `agent:<agentId>[:<channel>[:<account>]]:<peerKind>:<peerId>[:topic|thread:<id>]`, `cron:`, `hook:`...),
 * and the builders that turn a peer and a DM scope into a key (openclaw-protocol.md §7.1).
 */
import { z } from 'zod';

/** Longest accepted session key (Durable Object names are hashed, but we index keys in the registry). */
export const MAX_SESSION_KEY_LENGTH = 512;

const SEGMENT = /^[A-Za-z0-9_.@+\-]+$/;

/** A session key: colon-separated segments of URL-safe characters (routing-level check). */
export const SessionKeySchema = z
  .string()
  .min(1, 'expected a non-empty session key')
  .max(MAX_SESSION_KEY_LENGTH, `expected at most ${MAX_SESSION_KEY_LENGTH} characters`)
  .regex(
    /^[A-Za-z0-9_.@+\-]+(?::[A-Za-z0-9_.@+\-]+)*$/,
    'expected colon-separated segments of letters, digits and _.@+- (e.g. agent:main:main)',
  );

/** Kinds of peer a conversation key names. */
export const PEER_KINDS = ['direct', 'group', 'channel', 'room'] as const;
/** A peer kind. */
export type PeerKind = (typeof PEER_KINDS)[number];
/** How direct messages map to sessions. */
export const DmScopeSchema = z.enum(['main', 'per-peer', 'per-channel-peer', 'per-account-channel-peer']);
/** A DM scope option. */
export type DmScope = z.infer<typeof DmScopeSchema>;
/** Thread suffix kinds: Telegram forum topics use `topic`, other channels `thread`. */
export type ThreadKind = 'topic' | 'thread';

/** A parsed session key. */
export type ParsedSessionKey =
  | { kind: 'main'; agentId: string; mainKey: string }
  | {
      kind: 'peer';
      agentId: string;
      channel: string | null;
      account: string | null;
      peerKind: PeerKind;
      peerId: string;
      thread: { kind: ThreadKind; id: string } | null;
    }
  | { kind: 'global' }
  | { kind: 'namespaced'; namespace: 'cron' | 'hook' | 'subagent' | 'acp'; rest: string };

const NAMESPACES = ['cron', 'hook', 'subagent', 'acp'] as const;
const lower = (s: string) => s.toLowerCase();

/** Why a key does not fit the grammar (null when it does). */
function grammarError(segments: string[]): string | null {
  if (segments.some((s) => !SEGMENT.test(s))) return 'expected non-empty segments of letters, digits and _.@+-';
  return null;
}

/**
 * Parses a key against the full grammar; ids are normalised to lower case.
 * @example parseSessionKey('agent:main:telegram:group:-100123:topic:7')
 */
export function parseSessionKey(key: string): { ok: true; key: ParsedSessionKey } | { ok: false; error: string } {
  if (key.length === 0 || key.length > MAX_SESSION_KEY_LENGTH) return { ok: false, error: `expected 1..${MAX_SESSION_KEY_LENGTH} characters` };
  if (key === 'global') return { ok: true, key: { kind: 'global' } };
  const segs = key.split(':');
  const bad = grammarError(segs);
  if (bad) return { ok: false, error: bad };
  const head = lower(segs[0]!);
  if ((NAMESPACES as readonly string[]).includes(head)) {
    if (segs.length < 2) return { ok: false, error: `expected ${head}:<id>` };
    return { ok: true, key: { kind: 'namespaced', namespace: head as (typeof NAMESPACES)[number], rest: segs.slice(1).join(':') } };
  }
  if (head !== 'agent') return { ok: false, error: 'expected a key starting with agent:, cron:, hook:, subagent:, acp: or global' };
  const agentId = lower(segs[1] ?? '');
  if (!agentId) return { ok: false, error: 'expected agent:<agentId>:...' };
  let rest = segs.slice(2);
  if (rest.length === 1) return { ok: true, key: { kind: 'main', agentId, mainKey: lower(rest[0]!) } };
  let thread: { kind: ThreadKind; id: string } | null = null;
  const tk = rest.length >= 2 ? lower(rest[rest.length - 2]!) : '';
  if (tk === 'topic' || tk === 'thread') {
    thread = { kind: tk, id: lower(rest[rest.length - 1]!) };
    rest = rest.slice(0, -2);
  }
  const kindAt = rest.findIndex((s) => (PEER_KINDS as readonly string[]).includes(lower(s)));
  if (kindAt < 0 || kindAt > 2 || rest.length !== kindAt + 2) {
    return { ok: false, error: 'expected agent:<agentId>[:<channel>[:<account>]]:<direct|group|channel|room>:<peerId>[:topic|thread:<id>]' };
  }
  const peerKind = lower(rest[kindAt]!) as PeerKind;
  if (peerKind !== 'direct' && kindAt === 0) return { ok: false, error: `expected a channel before ${peerKind}` };
  return {
    ok: true,
    key: {
      kind: 'peer',
      agentId,
      channel: kindAt >= 1 ? lower(rest[0]!) : null,
      account: kindAt === 2 ? lower(rest[1]!) : null,
      peerKind,
      peerId: lower(rest[kindAt + 1]!),
      thread,
    },
  };
}

/** Canonical text of a parsed key (the inverse of parseSessionKey). */
export function formatSessionKey(key: ParsedSessionKey): string {
  switch (key.kind) {
    case 'global':
      return 'global';
    case 'namespaced':
      return `${key.namespace}:${key.rest}`;
    case 'main':
      return `agent:${key.agentId}:${key.mainKey}`;
    case 'peer': {
      const parts = ['agent', key.agentId];
      if (key.channel !== null) parts.push(key.channel);
      if (key.account !== null) parts.push(key.account);
      parts.push(key.peerKind, key.peerId);
      if (key.thread) parts.push(key.thread.kind, key.thread.id);
      return parts.join(':');
    }
  }
}

/** A session key that must fit the full grammar; the output is the canonical (lower-cased) key. */
export const StrictSessionKeySchema = SessionKeySchema.transform((key, ctx) => {
  const parsed = parseSessionKey(key);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return formatSessionKey(parsed.key);
});

/** Where an inbound message came from, as routing knows it. */
export const PeerAddressSchema = z.strictObject({
  agentId: z.string().regex(SEGMENT).default('main'),
  channel: z.string().regex(SEGMENT),
  account: z.string().regex(SEGMENT).default('default'),
  peerKind: z.enum(PEER_KINDS),
  peerId: z.string().regex(SEGMENT),
  thread: z.strictObject({ kind: z.enum(['topic', 'thread']), id: z.string().regex(SEGMENT) }).optional(),
});
/** A peer address (input of buildSessionKey). */
export type PeerAddress = z.input<typeof PeerAddressSchema>;

/** Options of key building. */
export interface KeyScope {
  readonly dmScope?: DmScope;
  /** The main session's key segment (`session.mainKey`, default `main`). */
  readonly mainKey?: string;
}

/**
 * The session key a message from `peer` routes to. DMs follow `dmScope` (default `main`: every DM shares
 * the agent's main session); groups, channels and rooms always get their own key (plus thread suffix).
 * @example buildSessionKey({ channel: 'telegram', peerKind: 'direct', peerId: '42' }, { dmScope: 'per-peer' }) === 'agent:main:direct:42'
 */
export function buildSessionKey(peer: PeerAddress, scope: KeyScope = {}): string {
  const p = PeerAddressSchema.parse(peer);
  const agentId = lower(p.agentId);
  const thread = p.thread ? { kind: p.thread.kind, id: lower(p.thread.id) } : null;
  const base = { kind: 'peer' as const, agentId, peerKind: p.peerKind, peerId: lower(p.peerId), thread };
  if (p.peerKind !== 'direct') return formatSessionKey({ ...base, channel: lower(p.channel), account: null });
  switch (scope.dmScope ?? 'main') {
    case 'main':
      return formatSessionKey({ kind: 'main', agentId, mainKey: lower(scope.mainKey ?? 'main') });
    case 'per-peer':
      return formatSessionKey({ ...base, channel: null, account: null });
    case 'per-channel-peer':
      return formatSessionKey({ ...base, channel: lower(p.channel), account: null });
    case 'per-account-channel-peer':
      return formatSessionKey({ ...base, channel: lower(p.channel), account: lower(p.account) });
  }
}

/** The operator's main session key (`agent:<agentId>:<mainKey>`); `main` in RPCs is an alias for it. */
export function mainSessionKey(agentId = 'main', mainKey = 'main'): string {
  return `agent:${lower(agentId)}:${lower(mainKey)}`;
}

/** Canonicalises `main` to the main key and lower-cases a grammar-conforming key; other keys pass unchanged. */
export function canonicalSessionKey(key: string, agentId = 'main'): string {
  if (key === 'main') return mainSessionKey(agentId);
  const parsed = parseSessionKey(key);
  return parsed.ok ? formatSessionKey(parsed.key) : key;
}
