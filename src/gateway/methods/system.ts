/** System methods: health, status, system-presence, system.info, last-heartbeat (reference §4.2). */
import { z } from 'zod';
import { settingsOf } from '../../config/settings.ts';
import { WORKERS_CAPABILITIES } from '../../env.ts';
import { listSessions } from '../../storage/repos/sessions.ts';
import { EDGECLAW_VERSION } from '../../version.ts';
import { memoryStatus } from '../../metrics.ts';
import { PROTOCOL_VERSION } from '../frames.ts';
import { defineMethod, type MethodContext } from '../registry.ts';

/** Default agent id until agents are configurable. */
export const DEFAULT_AGENT_ID = 'main';

/** How long a session summary is reused (health/status are polled; the reference caches health for 60 s). */
const SUMMARY_TTL_MS = 1_000;
const summaries = new WeakMap<object, { at: number; value: Promise<{ path: string; count: number; recent: { key: string; updatedAt: number; age: number }[] }> }>();

async function sessionSummary(ctx: MethodContext) {
  const cached = summaries.get(ctx.env.DB);
  if (cached && ctx.now - cached.at < SUMMARY_TTL_MS) return cached.value;
  const value = listSessions(ctx.env.DB, 20).then((rows) => ({
    path: 'registry:sessions',
    count: rows.length,
    recent: rows.map((r) => ({ key: r.key, updatedAt: r.updatedAt, age: Math.max(0, ctx.now - r.updatedAt) })),
  }));
  summaries.set(ctx.env.DB, { at: ctx.now, value });
  value.catch(() => summaries.delete(ctx.env.DB));
  return value;
}

/** `health`: a HealthSnapshot. */
export const health = defineMethod({
  name: 'health',
  scope: 'operator.read',
  params: z.strictObject({ probe: z.boolean().optional() }),
  async handler(ctx) {
    const started = Date.now();
    const sessions = await sessionSummary(ctx);
    return {
      ok: true,
      ts: ctx.now,
      durationMs: Date.now() - started,
      channels: {},
      channelOrder: [],
      channelLabels: {},
      heartbeatSeconds: 0,
      defaultAgentId: DEFAULT_AGENT_ID,
      agents: [
        {
          agentId: DEFAULT_AGENT_ID,
          isDefault: true,
          heartbeat: { enabled: false, every: 'off', everyMs: null, prompt: '', target: 'none', ackMaxChars: 0 },
          sessions,
        },
      ],
      sessions,
    };
  },
});

/** `status`: the StatusSummary `openclaw status` reads. */
export const status = defineMethod({
  name: 'status',
  scope: 'operator.read',
  params: z.strictObject({ includeChannelSummary: z.boolean().optional(), includeCliProjection: z.boolean().optional() }),
  async handler(ctx) {
    const s = await sessionSummary(ctx);
    return {
      runtimeVersion: EDGECLAW_VERSION,
      heartbeat: { defaultAgentId: DEFAULT_AGENT_ID, agents: [] },
      channelSummary: [],
      queuedSystemEvents: [],
      tasks: { total: 0, active: 0, terminal: 0, failures: 0, byStatus: { queued: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0, lost: 0 }, byRuntime: { subagent: 0, acp: 0, cli: 0, cron: 0 } },
      taskAudit: { total: 0, warnings: 0, errors: 0, byCode: {} },
      sessions: {
        paths: [s.path],
        count: s.count,
        defaults: { model: null, contextTokens: null },
        recent: s.recent,
        byAgent: [{ agentId: DEFAULT_AGENT_ID, path: s.path, count: s.count, recent: s.recent }],
      },
      degradedSecretOwners: [],
      uptimeMs: await ctx.hub.uptimeMs(),
      // Host memory samples (Node, runtime.memorySampleSecs); Workers have no host metrics, so no key.
      ...(ctx.env.HOST_METRICS ? { memory: memoryStatus(ctx.env.HOST_METRICS) } : {}),
    };
  },
});

/** `system-presence`: connected clients plus the gateway itself. */
export const systemPresence = defineMethod({
  name: 'system-presence',
  scope: 'operator.read',
  params: z.strictObject({}),
  handler: (ctx) => ctx.hub.presence(),
});

/** `system.info`: what this gateway is and can do. */
export const systemInfo = defineMethod({
  name: 'system.info',
  scope: 'operator.read',
  params: z.strictObject({}),
  async handler(ctx) {
    const caps = ctx.env.CAPABILITIES ?? WORKERS_CAPABILITIES;
    const settings = settingsOf(ctx.env);
    return {
      name: 'edgeclaw',
      version: EDGECLAW_VERSION,
      protocol: PROTOCOL_VERSION,
      host: caps.host,
      capabilities: { exec: caps.exec, localFiles: caps.localFiles },
      uptimeMs: await ctx.hub.uptimeMs(),
      queue: { cap: settings.queue.cap },
    };
  },
});

/** `last-heartbeat`: the last wake or cron system event (with the set-heartbeats flag), or null. */
export const lastHeartbeat = defineMethod({
  name: 'last-heartbeat',
  scope: 'operator.read',
  params: z.strictObject({}),
  handler: (ctx) => ctx.hub.lastHeartbeat(),
});
