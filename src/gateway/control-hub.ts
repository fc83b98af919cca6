/**
 * The gateway object's control surface used by config.*, usage.*, cron.*, wake, set-heartbeats,
 * last-heartbeat and send. GatewayDO implements it (through GatewayControl); HTTP-dispatched methods reach
 * it over RPC with `controlHubOf`.
 */
import type { ConfigSnapshot, ConfigWriteResult } from './config-service.ts';
import type { CronJob, CronRun, JobSpec } from '../cron/cron-store.ts';
import type { SendParams, SendResult } from './send.ts';
import type { UsageTotals } from '../usage/usage-store.ts';

/** The last heartbeat-like event (a wake, a cron system event), as `last-heartbeat` returns it. */
export interface HeartbeatEvent {
  ts: number;
  status: 'queued' | 'coalesced' | 'failed';
  reason: 'wake' | 'cron';
  mode?: 'now' | 'next-heartbeat';
  sessionKey?: string;
  message?: string;
}

/** Usage rollup over a day range. */
export interface UsageSummary {
  totals: UsageTotals;
  byModel: (UsageTotals & { model: string })[];
  daily: (UsageTotals & { date: string })[];
  updatedAt: number | null;
}

/** `wake` params after validation. */
export interface WakeInput {
  mode: 'now' | 'next-heartbeat';
  text: string;
  sessionKey: string;
}

/** Control operations of the gateway object. */
export interface ControlHub {
  configGet(): Promise<ConfigSnapshot>;
  configWrite(mode: 'patch' | 'set', raw: string, baseHash: string): Promise<ConfigWriteResult>;
  usageSummary(fromDay?: string, toDay?: string): Promise<UsageSummary>;
  cronAdd(spec: JobSpec): Promise<CronJob>;
  cronGet(id: string): Promise<CronJob | null>;
  cronList(opts: { includeDisabled?: boolean; limit: number; offset: number; query?: string }): Promise<{ jobs: CronJob[]; total: number }>;
  cronUpdate(id: string, patch: Partial<JobSpec>): Promise<CronJob>;
  cronRemove(id: string): Promise<boolean>;
  cronRun(id: string, mode: 'force' | 'due' | 'if-enabled'): Promise<{ ran: boolean; reason?: string; run?: CronRun }>;
  cronRuns(opts: { jobId?: string; limit: number; offset: number }): Promise<{ runs: CronRun[]; total: number }>;
  cronStatus(): Promise<{ enabled: true; jobs: number; enabledJobs: number; pendingRuns: number; nextWakeAtMs: number | null; maxJobs: number; runsPerJob: number }>;
  wake(input: WakeInput): Promise<{ ok: true; mode: string; sessionKey: string; eventOutcome: 'queued' | 'coalesced' }>;
  setHeartbeats(enabled: boolean): Promise<{ ok: true; enabled: boolean }>;
  lastHeartbeat(): Promise<(HeartbeatEvent & { enabled: boolean }) | null>;
  sendMessage(params: SendParams): Promise<SendResult>;
}

/**
 * The control hub over RPC to the one GatewayDO.
 * @example const hub = controlHubOf(() => env.GATEWAY.getByName('main'));
 */
export function controlHubOf(stub: () => ControlHub): ControlHub {
  return {
    configGet: () => stub().configGet(),
    configWrite: (mode, raw, baseHash) => stub().configWrite(mode, raw, baseHash),
    usageSummary: (fromDay, toDay) => stub().usageSummary(fromDay, toDay),
    cronAdd: (spec) => stub().cronAdd(spec),
    cronGet: (id) => stub().cronGet(id),
    cronList: (opts) => stub().cronList(opts),
    cronUpdate: (id, patch) => stub().cronUpdate(id, patch),
    cronRemove: (id) => stub().cronRemove(id),
    cronRun: (id, mode) => stub().cronRun(id, mode),
    cronRuns: (opts) => stub().cronRuns(opts),
    cronStatus: () => stub().cronStatus(),
    wake: (input) => stub().wake(input),
    setHeartbeats: (enabled) => stub().setHeartbeats(enabled),
    lastHeartbeat: () => stub().lastHeartbeat(),
    sendMessage: (params) => stub().sendMessage(params),
  };
}
