/**
 * The method registry: name → params schema, scope, handler. It is the single list that hello-ok
 * `features.methods`, `GET /rpc/methods` and dispatch all read; there is no second list.
 */
import type { z } from 'zod';
import type { Env } from '../env.ts';
import { GatewayError, invalidParams } from '../errors.ts';
import type { MethodScope, OperatorScope, Role } from './scopes.ts';
import type { Approval, ApprovalDecision } from './approvals.ts';
import type { Attestation, AttestationPayload } from '../defender/attest.ts';
import type { LoginView } from './oauth-store.ts';
import type { OAuthDeviceConfig } from '../providers/oauth-device.ts';
import type { ControlHub } from './control-hub.ts';
import type { DeviceHub } from './device-hub.ts';
import { requiredScope, scopeSatisfied } from './scopes.ts';

/** Who is calling, as the connection negotiated it. */
export interface Caller {
  connId: string;
  role: Role;
  scopes: OperatorScope[];
  clientId: string;
  clientMode: string;
  transport: 'ws' | 'http';
}

/** Gateway-wide facilities a method may use (implemented by GatewayDO, or by a stub of it over HTTP). */
export interface Hub extends ControlHub, DeviceHub {
  /** Presence entries of connected clients plus the gateway itself. */
  presence(): Promise<PresenceEntry[]>;
  /** Broadcasts an event to every socket allowed to receive it. */
  broadcast(event: string, payload: unknown): Promise<void>;
  /** Remembers a run started through the gateway (for agent.wait and the agent final response). */
  trackRun(run: TrackedRun): Promise<void>;
  /** Waits up to `timeoutMs` for a run to end; returns its record (status may still be running). */
  waitRun(runId: string, timeoutMs: number): Promise<TrackedRun | null>;
  /** Milliseconds since the gateway object started. */
  uptimeMs(): Promise<number>;
  /** Approval requests, newest first. */
  listApprovals(opts: { pendingOnly?: boolean; limit?: number }): Promise<Approval[]>;
  /** Resolves a pending approval (once); null when unknown. */
  resolveApproval(id: string, decision: ApprovalDecision, by: string): Promise<{ approval: Approval; changed: boolean } | null>;
  /** Signs an attestation with the gateway's Ed25519 key (created on first use, kept in its storage). */
  signAttestation(payload: AttestationPayload): Promise<Attestation>;
  /** Streams a run's text to a reader (the `/v1` stream): start watching, then read past `after` characters. */
  watchRun(runId: string): Promise<void>;
  runText(runId: string, after: number, timeoutMs: number): Promise<{ text: string; done: boolean; status: TrackedRun['status'] | 'unknown'; error?: string }>;
  /** OAuth device logins (durable, bounded) and the providers logged in; secrets never leave the gateway. */
  oauthStart(provider: string, idp: OAuthDeviceConfig): Promise<LoginView | { error: string }>;
  oauthPoll(loginId: string): Promise<(LoginView & { retryInMs: number }) | null>;
  oauthList(): Promise<Array<{ provider: string; expiresAt: number | null; refreshable: boolean; updatedAt: number }>>;
  oauthLogout(provider: string): Promise<boolean>;
}

/** A client (or the gateway) as system-presence reports it. */
export interface PresenceEntry {
  ts: number;
  host?: string;
  version?: string;
  platform?: string;
  deviceFamily?: string;
  mode?: string;
  reason?: string;
  instanceId?: string;
  deviceId?: string;
  roles?: string[];
  scopes?: string[];
  text?: string;
}

/** A run the gateway knows about. */
export interface TrackedRun {
  runId: string;
  sessionKey: string;
  status: 'running' | 'ok' | 'error' | 'aborted';
  acceptedAt: number;
  endedAt?: number;
  text?: string;
  error?: string;
}

/** What a handler receives besides params. */
export interface MethodContext {
  env: Env;
  caller: Caller;
  hub: Hub;
  now: number;
}

/** A method that answers twice: `accepted` now, the final payload when the run ends (reference "accepted then final"). */
export interface TwoPhase {
  readonly twoPhase: true;
  readonly accepted: Record<string, unknown>;
  readonly runId: string;
}

/** One registered method. */
export interface MethodDef {
  readonly name: string;
  readonly scope: MethodScope;
  readonly params: z.ZodType;
  /** Leave out of hello-ok `features.methods` (still callable), as the reference does for a few. */
  readonly advertise?: boolean;
  handler(ctx: MethodContext, params: unknown): Promise<unknown>;
}

/** Defines a method with its params type inferred from the schema. */
export function defineMethod<S extends z.ZodType>(def: {
  name: string;
  scope: MethodScope;
  params: S;
  advertise?: boolean;
  handler(ctx: MethodContext, params: z.output<S>): Promise<unknown>;
}): MethodDef {
  // SAFETY: dispatch only ever passes values produced by `def.params`, i.e. z.output<S>.
  return def as unknown as MethodDef;
}

/** The registry of every method. */
export class MethodRegistry {
  readonly #methods = new Map<string, MethodDef>();

  constructor(defs: readonly MethodDef[]) {
    for (const d of defs) {
      if (this.#methods.has(d.name)) throw new Error(`duplicate method ${d.name}`);
      this.#methods.set(d.name, d);
    }
  }

  /** Advertised method names, sorted. */
  advertised(): string[] {
    return [...this.#methods.values()].filter((m) => m.advertise !== false).map((m) => m.name).sort();
  }

  /** Every method with the scope it needs (for GET /rpc/methods). */
  describe(): { name: string; scope: MethodScope }[] {
    return [...this.#methods.values()].map((m) => ({ name: m.name, scope: requiredScope(m.name, m.scope) })).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Validates, checks scope, runs. Throws GatewayError with the protocol's codes and messages. */
  async dispatch(ctx: MethodContext, method: string, params: unknown): Promise<unknown> {
    const def = this.#methods.get(method);
    if (!def) throw new GatewayError('INVALID_REQUEST', `unknown method: ${method}`);
    const need = requiredScope(method, def.scope);
    if (need === 'node') {
      if (ctx.caller.role !== 'node') throw new GatewayError('FORBIDDEN', 'missing role: node', { details: { code: 'MISSING_ROLE', requiredRole: 'node' } });
    } else if (ctx.caller.role !== 'operator' || !scopeSatisfied(ctx.caller.scopes, need)) {
      throw new GatewayError('FORBIDDEN', `missing scope: ${need}`, {
        details: { code: 'MISSING_SCOPE', missingScope: need, requiredScopes: [need] },
      });
    }
    const parsed = def.params.safeParse(params ?? {});
    if (!parsed.success) throw invalidParams(`${method} params`, parsed.error.issues);
    return def.handler(ctx, parsed.data);
  }
}
