// Runtime-neutral agent tools that act on the gateway itself: `sessions_send` (message another session)
// and `memory` (small per-agent key/value notes). Both are ordinary tools: the defender gates every call,
// and what `memory` returns goes back through the tool-result check (a poisoned note is withheld).
import { z } from 'zod';
import { parseSessionKey } from '../sessions/session-key.ts';
import { ScheduleSchema } from '../cron/schedule.ts';
import type { CronJob, JobSpec } from '../cron/cron-store.ts';
import type { SendParams, SendResult } from '../gateway/send.ts';
import { defineTool, type ToolDefinition } from './types.ts';

/** Most sessions_send calls in one run (a loop between two agents stops here). */
export const SESSIONS_SEND_PER_RUN = 5;
/** Longest message sessions_send delivers. */
export const SESSIONS_SEND_MAX_CHARS = 16_000;

/** What sessions_send needs from the host: enqueue into a session (idempotent by key). */
export interface SessionsSendPort {
  enqueue(sessionKey: string, input: { text: string; key: string }): Promise<{ status: string; runId?: string; reason?: string }>;
}

const SendParams = z.strictObject({
  sessionKey: z.string().min(1).max(512).describe('The session to message, e.g. agent:main:telegram:default:direct:42'),
  message: z.string().min(1).max(SESSIONS_SEND_MAX_CHARS).describe('The text to put in that session, as a user turn'),
});

/**
 * `sessions_send`: queues a message in another session (never this one), at most SESSIONS_SEND_PER_RUN per
 * run; the producer key is the run and call id, so a retried call is queued once.
 * @example createSessionsSendTool({ from: 'agent:main:main', runId, port: { enqueue: (k, i) => env.SESSIONS.getByName(k).enqueue(k, i) } })
 */
export function createSessionsSendTool(o: { from: string; runId: string; port: SessionsSendPort }): ToolDefinition<typeof SendParams> {
  let sent = 0;
  return defineTool({
    name: 'sessions_send',
    description: 'Send a message to another conversation session of this gateway (it is queued there as a user turn).',
    parameters: SendParams,
    async run(args, ctx) {
      const parsed = parseSessionKey(args.sessionKey);
      if (!parsed.ok) throw new Error(`sessionKey: ${parsed.error}`);
      if (args.sessionKey === o.from) throw new Error('a session cannot message itself');
      if (sent >= SESSIONS_SEND_PER_RUN) throw new Error(`at most ${SESSIONS_SEND_PER_RUN} sessions_send calls per run`);
      sent++;
      const r = await o.port.enqueue(args.sessionKey, { text: `[message from session ${o.from}]\n${args.message}`, key: `sessions_send:${o.runId}:${ctx.callId}` });
      if (r.status === 'rejected') throw new Error(`not queued: ${r.reason ?? 'the session refused it'}`);
      return { ok: true, status: r.status, sessionKey: args.sessionKey, ...(r.runId ? { runId: r.runId } : {}) };
    },
  });
}

/** Limits of the memory store (enforced by its owner, the GatewayDO). */
export const MEMORY_MAX_KEYS = 200;
export const MEMORY_MAX_VALUE_CHARS = 2_000;
const MemoryKey = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'expected 1-64 characters: a-z, 0-9, _, . or - (lower case)');

/** The memory store port (GatewayDO storage on both runtimes). */
export interface MemoryPort {
  get(agentId: string, key: string): Promise<string | null>;
  set(agentId: string, key: string, value: string): Promise<{ ok: true } | { ok: false; error: string }>;
  delete(agentId: string, key: string): Promise<boolean>;
  list(agentId: string): Promise<Array<{ key: string; chars: number; updatedAt: number }>>;
}

const MemoryParams = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('get'), key: MemoryKey }),
  z.strictObject({ action: z.literal('set'), key: MemoryKey, value: z.string().min(1).max(MEMORY_MAX_VALUE_CHARS) }),
  z.strictObject({ action: z.literal('delete'), key: MemoryKey }),
  z.strictObject({ action: z.literal('list') }),
]);

/**
 * `memory`: the agent's small notes (get/set/delete/list), shared by every session of the agent.
 * @example createMemoryTool({ agentId: 'main', port })
 */
export function createMemoryTool(o: { agentId: string; port: MemoryPort }): ToolDefinition<typeof MemoryParams> {
  return defineTool({
    name: 'memory',
    description: `Small persistent notes for this agent: {"action":"set","key","value"} (value up to ${MEMORY_MAX_VALUE_CHARS} characters, at most ${MEMORY_MAX_KEYS} keys), {"action":"get","key"}, {"action":"delete","key"}, {"action":"list"}.`,
    parameters: MemoryParams,
    async run(args) {
      switch (args.action) {
        case 'get': {
          const value = await o.port.get(o.agentId, args.key);
          return value === null ? { ok: false, error: `no note named ${args.key}` } : { ok: true, key: args.key, value };
        }
        case 'set': {
          const r = await o.port.set(o.agentId, args.key, args.value);
          if (!r.ok) throw new Error(r.error);
          return { ok: true, key: args.key };
        }
        case 'delete':
          return { ok: true, deleted: await o.port.delete(o.agentId, args.key) };
        case 'list':
          return { ok: true, notes: await o.port.list(o.agentId) };
      }
    },
  });
}

/** Most `message` sends in one run. */
export const MESSAGE_PER_RUN = 5;

const MessageParams = z.strictObject({
  channel: z.enum(['telegram', 'slack', 'whatsapp']).describe('The channel to send on'),
  to: z.string().min(1).max(256).describe('The chat, channel or phone number id on that channel'),
  text: z.string().min(1).max(16_000).describe('The message text (Markdown)'),
  accountId: z.string().min(1).max(64).optional().describe('The channel account, when there is more than one'),
});

/**
 * `message`: sends a text to a channel target through the gateway's `send` (its outbox sends each chunk
 * once; the run and call id are the idempotency key, so a retried call sends nothing new).
 * @example createMessageTool({ runId, port: { send: (p) => hub.sendMessage(p) } })
 */
export function createMessageTool(o: { runId: string; port: { send(p: SendParams): Promise<SendResult> } }): ToolDefinition<typeof MessageParams> {
  let sent = 0;
  return defineTool({
    name: 'message',
    description: 'Send a message to someone on a channel (Telegram chat id, Slack channel id, WhatsApp number).',
    parameters: MessageParams,
    async run(args, ctx) {
      if (sent >= MESSAGE_PER_RUN) throw new Error(`at most ${MESSAGE_PER_RUN} messages per run`);
      sent++;
      const r = await o.port.send({ to: args.to, message: args.text, channel: args.channel, idempotencyKey: `message:${o.runId}:${ctx.callId}`, ...(args.accountId ? { accountId: args.accountId } : {}) });
      return { ok: true, status: r.status, channel: r.channel, to: r.to, ...(r.chunks !== undefined ? { chunks: r.chunks } : {}) };
    },
  });
}

const CronParams = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('add'), name: z.string().min(1).max(200), schedule: ScheduleSchema, message: z.string().min(1).max(4_000) }),
  z.strictObject({ action: z.literal('list') }),
  z.strictObject({ action: z.literal('remove'), id: z.string().min(1).max(64) }),
]);

/** What the cron tool needs from the gateway's scheduler. */
export interface CronPort {
  add(spec: JobSpec): Promise<CronJob>;
  list(): Promise<CronJob[]>;
  remove(id: string): Promise<boolean>;
}

/**
 * `cron`: schedules a future turn of this session (at a time, every N ms, or a 5-field cron expression),
 * lists this session's jobs, or removes one of them; jobs of other sessions are neither shown nor touched.
 * @example createCronTool({ sessionKey, agentId: 'main', port })
 */
export function createCronTool(o: { sessionKey: string; agentId: string; port: CronPort }): ToolDefinition<typeof CronParams> {
  const target = `session:${o.sessionKey}`;
  const mine = (j: CronJob) => j.sessionTarget === target;
  return defineTool({
    name: 'cron',
    description: 'Schedule a reminder or recurring task in this conversation: {"action":"add","name","schedule":{"kind":"at","at":"<ISO time>"} | {"kind":"every","everyMs":N} | {"kind":"cron","expr":"0 9 * * 1","tz":"Europe/Berlin"},"message"}, {"action":"list"}, {"action":"remove","id"}.',
    parameters: CronParams,
    async run(args) {
      if (args.action === 'list') return { ok: true, jobs: (await o.port.list()).filter(mine).map((j) => ({ id: j.id, name: j.name, schedule: j.schedule, nextRunAtMs: j.nextRunAtMs ?? null })) };
      if (args.action === 'remove') {
        const job = (await o.port.list()).find((j) => j.id === args.id);
        if (!job || !mine(job)) throw new Error(`no job ${args.id} in this conversation`);
        return { ok: true, removed: await o.port.remove(args.id) };
      }
      const job = await o.port.add({ name: args.name, enabled: true, schedule: args.schedule, sessionTarget: target, wakeMode: 'now', payload: { kind: 'agentTurn', message: args.message }, agentId: o.agentId } as JobSpec);
      return { ok: true, id: job.id, nextRunAtMs: job.nextRunAtMs ?? null };
    },
  });
}

/** The agent tools as a catalog shows them (their ports refuse: listing never acts). */
export function catalogAgentTools(): ToolDefinition[] {
  const refuse = async (): Promise<never> => {
    throw new Error('catalog copy: not runnable');
  };
  return [
    createSessionsSendTool({ from: '', runId: '', port: { enqueue: refuse } }),
    createMemoryTool({ agentId: 'main', port: { get: refuse, set: refuse, delete: refuse, list: refuse } }),
    createMessageTool({ runId: '', port: { send: refuse } }),
    createCronTool({ sessionKey: '', agentId: 'main', port: { add: refuse, list: refuse, remove: refuse } }),
  ] as ToolDefinition[];
}
