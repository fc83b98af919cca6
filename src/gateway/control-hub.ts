/**
 * The gateway object's control surface used by config.*, usage.*, cron.*, wake, set-heartbeats,
 * last-heartbeat and send. GatewayDO implements it (through GatewayControl); HTTP-dispatched methods and
 * other objects reach it over RPC with `controlHubOf`, through GatewayDO's one `control(call)` entry point.
 */
import type { ConfigSnapshot, ConfigWriteResult } from './config-service.ts';
import type { CronJob, CronRun, JobSpec } from '../cron/cron-store.ts';
import type { SendParams, SendResult } from './send.ts';
import type { UsageTotals } from '../usage/usage-store.ts';
import { GatewayError, type ErrorShape } from '../errors.ts';
import type { WizardAnswer, WizardView } from '../wizard/service.ts';

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
  /** Setup wizard sessions (durable in the gateway object; see src/wizard/service.ts). */
  wizardStart(): Promise<WizardView>;
  wizardNext(sessionId: string, answer: WizardAnswer | undefined): Promise<WizardView>;
  wizardCancel(sessionId: string): Promise<WizardView>;
  wizardStatus(sessionId: string): Promise<WizardView>;
}

/** One ControlHub call as data: what crosses the RPC boundary to GatewayDO. */
export type ControlCall = { [K in keyof ControlHub]: { op: K; args: Parameters<ControlHub[K]> } }[keyof ControlHub];
/** Its answer: a value, or a protocol error as data (RPC does not keep GatewayError's class or fields). */
export type ControlReply = { ok: true; value: unknown } | { ok: false; error: ErrorShape };

const OPS: readonly (keyof ControlHub)[] = ['configGet', 'configWrite', 'usageSummary', 'cronAdd', 'cronGet', 'cronList', 'cronUpdate', 'cronRemove', 'cronRun', 'cronRuns', 'cronStatus', 'wake', 'setHeartbeats', 'lastHeartbeat', 'sendMessage', 'wizardStart', 'wizardNext', 'wizardCancel', 'wizardStatus'];

/**
 * Runs a ControlCall against `hub` (GatewayDO's RPC entry point): GatewayErrors come back as data.
 * @example await runControl(control, { op: 'cronStatus', args: [] })
 */
export async function runControl(hub: ControlHub, call: ControlCall): Promise<ControlReply> {
  if (!OPS.includes(call.op)) return { ok: false, error: { code: 'INVALID_REQUEST', message: `unknown control operation: ${String(call.op)}` } };
  try {
    // SAFETY: `op` is one of ControlHub's methods and `args` its parameters (ControlCall pairs them).
    const fn = hub[call.op] as (...args: unknown[]) => Promise<unknown>;
    return { ok: true, value: await fn.apply(hub, call.args) };
  } catch (err) {
    if (err instanceof GatewayError) return { ok: false, error: err.toShape() };
    throw err;
  }
}

/**
 * The control hub over RPC to the one GatewayDO; protocol errors are rebuilt as GatewayErrors.
 * @example const hub = controlHubOf(() => env.GATEWAY.getByName('main'));
 */
export function controlHubOf(stub: () => { control(call: ControlCall): Promise<ControlReply> }): ControlHub {
  const call = async <T>(c: ControlCall): Promise<T> => {
    const reply = await stub().control(c);
    if (reply.ok) return reply.value as T;
    const { code, message, ...extra } = reply.error;
    throw new GatewayError(code, message, extra);
  };
  return {
    configGet: () => call({ op: 'configGet', args: [] }),
    configWrite: (...args) => call({ op: 'configWrite', args }),
    usageSummary: (...args) => call({ op: 'usageSummary', args }),
    cronAdd: (...args) => call({ op: 'cronAdd', args }),
    cronGet: (...args) => call({ op: 'cronGet', args }),
    cronList: (...args) => call({ op: 'cronList', args }),
    cronUpdate: (...args) => call({ op: 'cronUpdate', args }),
    cronRemove: (...args) => call({ op: 'cronRemove', args }),
    cronRun: (...args) => call({ op: 'cronRun', args }),
    cronRuns: (...args) => call({ op: 'cronRuns', args }),
    cronStatus: () => call({ op: 'cronStatus', args: [] }),
    wake: (...args) => call({ op: 'wake', args }),
    setHeartbeats: (...args) => call({ op: 'setHeartbeats', args }),
    lastHeartbeat: () => call({ op: 'lastHeartbeat', args: [] }),
    sendMessage: (...args) => call({ op: 'sendMessage', args }),
    wizardStart: () => call({ op: 'wizardStart', args: [] }),
    wizardNext: (...args) => call({ op: 'wizardNext', args }),
    wizardCancel: (...args) => call({ op: 'wizardCancel', args }),
    wizardStatus: (...args) => call({ op: 'wizardStatus', args }),
  };
}
