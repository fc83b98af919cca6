/**
 * GatewayDO: the gateway hub. Operator WebSockets terminate here (hibernation API on workerd, the same
 * class on the Node host); it sends ticks from its alarm, broadcasts events, tracks runs and answers
 * the final response of two-phase methods. Protocol logic lives in src/gateway/.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../src/env.ts';
import { attachmentOf, closeQuietly, handleFrame, openConnection, sendEvent, type ConnectionDeps, type GatewayPolicy, type GatewaySocket } from '../src/gateway/connection.ts';
import { GatewayStore } from '../src/gateway/gateway-store.ts';
import { MemoryStore } from '../src/gateway/memory-store.ts';
import { OAUTH_MAX_PENDING, OAuthStore, type LoginView, type StoredTokens } from '../src/gateway/oauth-store.ts';
import { pollDeviceLogin, refreshTokens, startDeviceLogin, type OAuthDeviceConfig } from '../src/providers/oauth-device.ts';
import { ApprovalStore, type Approval, type ApprovalDecision, type ApprovalRequest } from '../src/gateway/approvals.ts';
import { METHODS } from '../src/gateway/methods/index.ts';
import type { Hub, PresenceEntry, TrackedRun } from '../src/gateway/registry.ts';
import { GatewayControl } from '../src/gateway/control.ts';
import { runControl, type ControlCall, type ControlHub, type ControlReply } from '../src/gateway/control-hub.ts';
import { gatewayPolicyOf } from '../src/gateway/policy.ts';
import { settingsOf } from '../src/config/settings.ts';
import { PairingStore } from '../src/gateway/pairing-store.ts';
import { DeviceGate } from '../src/gateway/device-gate.ts';
import { DeviceService } from '../src/gateway/device-service.ts';
import type { DeviceHub } from '../src/gateway/device-hub.ts';
import { EDGECLAW_VERSION } from '../src/version.ts';
import { storeBudget } from '../src/defender/virustotal.ts';
import { generateAttestationKey, signAttestation, type Attestation, type AttestationPayload, type StoredAttestationKey } from '../src/defender/attest.ts';
import { vtLimitsOf } from '../src/defender/reputation.ts';

/** Storage key of the attestation signing key. */
const ATTEST_KEY = 'attest:key';
/** Presence entries included in a hello-ok snapshot (the full list is `system-presence`). */
const SNAPSHOT_PRESENCE_MAX = 64;
/** Runs whose streamed text is kept for `/v1` readers at once; the oldest watch is dropped past it. */
const WATCHED_MAX = 256;
/** Presence changes within this window go out as one `presence` event. */
const PRESENCE_COALESCE_MS = 1_000;

/** Waits until `waiters.get(key)` is woken or `ms` pass (whichever first); cleans up after itself. */
function waitFor(waiters: Map<string, Set<() => void>>, key: string, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const set = waiters.get(key) ?? new Set();
    const done = () => {
      clearTimeout(timer);
      set.delete(done);
      if (set.size === 0) waiters.delete(key);
      resolve();
    };
    const timer = setTimeout(done, ms);
    set.add(done);
    waiters.set(key, set);
  });
}

export class GatewayDO extends DurableObject<Env> implements Hub {
  readonly #store: GatewayStore;
  readonly #approvals: ApprovalStore;
  readonly #pairing: PairingStore;
  readonly #gate: DeviceGate;
  readonly #devices: DeviceService;
  readonly #memory: MemoryStore;
  readonly #oauth: OAuthStore;
  /** One refresh per provider at a time (every session asking at once shares it). */
  readonly #refreshing = new Map<string, Promise<StoredTokens | null>>();
  readonly #approvalWaiters = new Map<string, Set<() => void>>();
  readonly #policy: GatewayPolicy;
  readonly #startedAt = Date.now();
  readonly #waiters = new Map<string, Set<() => void>>();
  /** Runs whose streamed text a `/v1` stream reads (runId → text so far). */
  readonly #watched = new Map<string, { text: string; at: number }>();
  #presenceTimer: ReturnType<typeof setTimeout> | null = null;
  /** One key per object: concurrent first calls share the same generation. */
  #attestKey: Promise<StoredAttestationKey> | null = null;
  readonly #control: GatewayControl;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new GatewayStore(ctx.storage.sql);
    this.#approvals = new ApprovalStore(ctx.storage.sql);
    this.#memory = new MemoryStore(ctx.storage.sql);
    this.#oauth = new OAuthStore(ctx.storage.sql);
    this.#policy = gatewayPolicyOf(env);
    const pairing = settingsOf(env).gateway.nodes.pairing;
    this.#pairing = new PairingStore(ctx.storage.sql, pairing);
    const announce = (event: string, payload: unknown) => this.#announce(event, payload);
    this.#gate = new DeviceGate(this.#pairing, { autoApproveLocal: pairing.autoApproveLocal, announce });
    this.#devices = new DeviceService(this.#pairing, { sockets: () => this.ctx.getWebSockets() as unknown as GatewaySocket[], announce, now: () => Date.now() });
    this.#control = new GatewayControl({
      env,
      sql: ctx.storage.sql,
      transaction: (fn) => ctx.storage.transactionSync(fn),
      broadcast: (event, payload) => this.broadcast(event, payload),
      armAt: (at) => this.#armAt(at),
      now: () => Date.now(),
    });
    void ctx.blockConcurrencyWhile(async () => {
      this.#store.migrate();
      this.#approvals.migrate();
      this.#memory.migrate();
      this.#oauth.migrate();
      this.#pairing.migrate();
      await this.#control.start();
    });
  }

  /** Workers entry: upgrades the request and accepts the socket. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const { 0: client, 1: server } = new WebSocketPair();
    await this.acceptSocket(server, request.headers.get('cf-connecting-ip') ?? 'unknown');
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Accepts a socket (both hosts): hibernatable, challenge sent, tick alarm armed. `directLocal` is the
   * host's word that the peer is loopback with no proxy in between (Node only; Workers never say so).
   */
  async acceptSocket(ws: WebSocket, remote: string, directLocal = false): Promise<void> {
    this.ctx.acceptWebSocket(ws);
    openConnection(ws as unknown as GatewaySocket, remote, Date.now(), directLocal);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.#policy.tickIntervalMs);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await handleFrame(ws as unknown as GatewaySocket, message, this.#deps());
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    const att = attachmentOf(ws as unknown as GatewaySocket);
    this.#store.dropConnection(att.connId);
    if (att.authed) this.#presenceChanged();
    // 1005/1006 are reserved and cannot be echoed; the runtime already answered the peer's close.
    if (code !== 1005 && code !== 1006) closeQuietly(ws as unknown as GatewaySocket, code, 'closing');
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#store.dropConnection(attachmentOf(ws as unknown as GatewaySocket).connId);
  }

  /**
   * Tick: every authenticated socket gets `tick {ts}`; re-armed while sockets remain. Also expires
   * approvals and fires due cron jobs (the alarm is re-armed for the next one).
   */
  override async alarm(): Promise<void> {
    await this.#expireApprovals();
    this.#devices.expire();
    await this.#control.runDue();
    const sockets = this.ctx.getWebSockets();
    const ts = Date.now();
    for (const ws of sockets) sendEvent(ws as unknown as GatewaySocket, 'tick', { ts }, this.#policy, { dropIfSlow: true });
    const next: number[] = [];
    if (this.ctx.getWebSockets().length > 0) next.push(Date.now() + this.#policy.tickIntervalMs);
    const cron = this.#control.nextWakeAt();
    if (cron !== null) next.push(Math.max(cron, Date.now() + 1_000));
    if (next.length > 0) await this.ctx.storage.setAlarm(Math.min(...next));
  }

  /** Makes the alarm fire no later than `at`. */
  async #armAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /** RPC entry point of the control hub (src/gateway/control-hub.ts): errors come back as data. */
  async control(call: ControlCall): Promise<ControlReply> {
    return runControl(this, call);
  }

  // ControlHub (config, usage, cron, wake/heartbeats, send), called directly by methods dispatched here.
  async configGet() { return this.#control.configGet(); }
  /** The stored config's hot sections for session objects in other isolates (see refreshHotSettings). */
  async hotSettings() {
    return this.#control.config.hotSections();
  }
  async configWrite(mode: 'patch' | 'set', raw: string, baseHash: string) { return this.#control.configWrite(mode, raw, baseHash); }
  async usageSummary(fromDay?: string, toDay?: string) { return this.#control.usageSummary(fromDay, toDay); }
  async cronAdd(spec: Parameters<ControlHub['cronAdd']>[0]) { return this.#control.cronAdd(spec); }
  async cronGet(id: string) { return this.#control.cronGet(id); }
  async cronList(opts: Parameters<ControlHub['cronList']>[0]) { return this.#control.cronList(opts); }
  async cronUpdate(id: string, patch: Parameters<ControlHub['cronUpdate']>[1]) { return this.#control.cronUpdate(id, patch); }
  async cronRemove(id: string) { return this.#control.cronRemove(id); }
  async cronRun(id: string, mode: Parameters<ControlHub['cronRun']>[1]) { return this.#control.cronRun(id, mode); }
  async cronRuns(opts: Parameters<ControlHub['cronRuns']>[0]) { return this.#control.cronRuns(opts); }
  async cronStatus() { return this.#control.cronStatus(); }
  async wake(input: Parameters<ControlHub['wake']>[0]) { return this.#control.wake(input); }
  async setHeartbeats(enabled: boolean) { return this.#control.setHeartbeats(enabled); }
  async lastHeartbeat() { return this.#control.lastHeartbeat(); }
  async sendMessage(params: Parameters<ControlHub['sendMessage']>[0]) { return this.#control.sendMessage(params); }
  async wizardStart() { return this.#control.wizardStart(); }
  async wizardNext(...a: Parameters<ControlHub['wizardNext']>) { return this.#control.wizardNext(...a); }
  async wizardCancel(sessionId: string) { return this.#control.wizardCancel(sessionId); }
  async wizardStatus(sessionId: string) { return this.#control.wizardStatus(sessionId); }

  async presence(): Promise<PresenceEntry[]> {
    const self: PresenceEntry = { ts: Date.now(), host: 'edgeclaw', version: EDGECLAW_VERSION, mode: 'gateway', reason: 'self', roles: ['gateway'] };
    const clients = this.ctx.getWebSockets().map((ws) => attachmentOf(ws as unknown as GatewaySocket)).filter((a) => a.authed).slice(0, 500);
    return [self, ...clients.map((a) => ({ ts: a.openedAt, ...(a.deviceId ? { deviceId: a.deviceId } : {}), ...(a.clientVersion ? { version: a.clientVersion } : {}), ...(a.platform ? { platform: a.platform } : {}), ...(a.clientMode ? { mode: a.clientMode } : {}), ...(a.instanceId ? { instanceId: a.instanceId } : {}), roles: [a.role ?? 'operator'], scopes: a.scopes ?? [] }))];
  }

  async broadcast(event: string, payload: unknown): Promise<void> {
    if (event === 'chat' && this.#watched.size > 0) this.#tapDelta(payload);
    for (const ws of this.ctx.getWebSockets()) sendEvent(ws as unknown as GatewaySocket, event, payload, this.#policy, { dropIfSlow: event === 'chat' || event === 'agent' });
  }

  /** Keeps the text so far of a watched run (a streaming `/v1` request) and wakes its reader. */
  #tapDelta(payload: unknown): void {
    const p = payload as { runId?: unknown; state?: unknown; message?: { content?: Array<{ text?: unknown }> } };
    if (typeof p.runId !== 'string' || p.state !== 'delta') return;
    const watch = this.#watched.get(p.runId);
    const text = p.message?.content?.[0]?.text;
    if (!watch || typeof text !== 'string') return;
    watch.text = text.slice(0, 1_000_000);
    for (const wake of this.#waiters.get(`text:${p.runId}`) ?? []) wake();
  }

  /**
   * Sizes of this object's in-memory maps, for the Node host's diagnostics (`/metrics`). Waiter maps hold one
   * entry per pending call, each ending by its own timeout; `watched` has a cap.
   */
  registrySizes(): Record<string, { size: number; cap: number | null }> {
    return {
      waiters: { size: this.#waiters.size, cap: null },
      approvalWaiters: { size: this.#approvalWaiters.size, cap: null },
      watched: { size: this.#watched.size, cap: WATCHED_MAX },
      refreshing: { size: this.#refreshing.size, cap: null },
    };
  }

  /** Starts keeping a run's streamed text for `runText` (bounded: the oldest watch is dropped past WATCHED_MAX). */
  async watchRun(runId: string): Promise<void> {
    this.#watched.set(runId, { text: '', at: Date.now() });
    while (this.#watched.size > WATCHED_MAX) this.#watched.delete(this.#watched.keys().next().value!);
  }

  /**
   * The run's text once it is longer than `after` characters, or its end (`done`), waiting up to `timeoutMs`.
   * The watch is dropped when the run is done.
   */
  async runText(runId: string, after: number, timeoutMs: number): Promise<{ text: string; done: boolean; status: TrackedRun['status'] | 'unknown'; error?: string }> {
    const read = () => {
      const run = this.#store.run(runId);
      const watch = this.#watched.get(runId);
      if (run && run.status !== 'running') {
        this.#watched.delete(runId);
        return { text: run.text ?? watch?.text ?? '', done: true, status: run.status, ...(run.error ? { error: run.error } : {}) };
      }
      return { text: watch?.text ?? '', done: false, status: run ? run.status : ('unknown' as const) };
    };
    const now = read();
    if (now.done || now.text.length > after || timeoutMs <= 0) return now;
    await Promise.race([waitFor(this.#waiters, `text:${runId}`, timeoutMs), waitFor(this.#waiters, runId, timeoutMs)]);
    return read();
  }

  /** Broadcasts several events in order (one call per batch from a run). */
  async broadcastBatch(events: readonly { event: string; payload: unknown }[]): Promise<void> {
    for (const e of events.slice(0, 256)) await this.broadcast(e.event, e.payload);
  }

  /** Pairing events go out as dropIfSlow, like the reference. */
  #announce(event: string, payload: unknown): void {
    for (const ws of this.ctx.getWebSockets()) sendEvent(ws as unknown as GatewaySocket, event, payload, this.#policy, { dropIfSlow: true });
  }

  // DeviceHub over RPC (prototype methods: workerd exposes only those to stubs).
  async pairingList(): ReturnType<DeviceHub['pairingList']> {
    return this.#devices.pairingList();
  }

  async pairingApprove(...a: Parameters<DeviceHub['pairingApprove']>): ReturnType<DeviceHub['pairingApprove']> {
    return this.#devices.pairingApprove(...a);
  }

  async pairingReject(...a: Parameters<DeviceHub['pairingReject']>): ReturnType<DeviceHub['pairingReject']> {
    return this.#devices.pairingReject(...a);
  }

  async deviceRemove(...a: Parameters<DeviceHub['deviceRemove']>): ReturnType<DeviceHub['deviceRemove']> {
    return this.#devices.deviceRemove(...a);
  }

  async deviceRename(...a: Parameters<DeviceHub['deviceRename']>): ReturnType<DeviceHub['deviceRename']> {
    return this.#devices.deviceRename(...a);
  }

  async deviceTokenRotate(...a: Parameters<DeviceHub['deviceTokenRotate']>): ReturnType<DeviceHub['deviceTokenRotate']> {
    return this.#devices.deviceTokenRotate(...a);
  }

  async deviceTokenRevoke(...a: Parameters<DeviceHub['deviceTokenRevoke']>): ReturnType<DeviceHub['deviceTokenRevoke']> {
    return this.#devices.deviceTokenRevoke(...a);
  }

  async nodes(): ReturnType<DeviceHub['nodes']> {
    return this.#devices.nodes();
  }

  async trackRun(run: TrackedRun): Promise<void> {
    this.#store.trackRun(run);
  }

  async waitRun(runId: string, timeoutMs: number): Promise<TrackedRun | null> {
    const run = this.#store.run(runId);
    if (!run || run.status !== 'running' || timeoutMs <= 0) return run;
    await waitFor(this.#waiters, runId, timeoutMs);
    return this.#store.run(runId);
  }

  /**
   * Opens an approval request (defender `review`) and announces it. Null when too many are pending: the
   * caller must treat that as deny (fail closed).
   */
  async requestApproval(req: ApprovalRequest, ttlMs: number): Promise<Approval | null> {
    const approval = this.#approvals.create(req, Date.now(), ttlMs);
    if (approval) {
      await this.broadcast('exec.approval.requested', approval);
      const next = await this.ctx.storage.getAlarm();
      if (next === null || next > approval.expiresAt) await this.ctx.storage.setAlarm(approval.expiresAt);
    }
    return approval;
  }

  /** Waits up to `timeoutMs` for an approval to be resolved or expire; returns its current state. */
  async waitApproval(id: string, timeoutMs: number): Promise<Approval | null> {
    await this.#expireApprovals();
    const current = this.#approvals.get(id);
    if (!current || current.status !== 'pending' || timeoutMs <= 0) return current;
    await waitFor(this.#approvalWaiters, id, Math.min(timeoutMs, Math.max(0, current.expiresAt - Date.now()) + 5));
    await this.#expireApprovals();
    return this.#approvals.get(id);
  }

  async listApprovals(opts: { pendingOnly?: boolean; limit?: number }): Promise<Approval[]> {
    await this.#expireApprovals();
    return this.#approvals.list(opts);
  }

  async resolveApproval(id: string, decision: ApprovalDecision, by: string): Promise<{ approval: Approval; changed: boolean } | null> {
    const result = this.#approvals.resolve(id, decision, by, Date.now());
    if (result?.changed) {
      await this.broadcast('exec.approval.resolved', result.approval);
      for (const wake of this.#approvalWaiters.get(id) ?? []) wake();
    }
    return result;
  }

  async #expireApprovals(): Promise<void> {
    for (const id of this.#approvals.expire(Date.now())) {
      const approval = this.#approvals.get(id);
      if (approval) await this.broadcast('exec.approval.resolved', approval);
      for (const wake of this.#approvalWaiters.get(id) ?? []) wake();
    }
  }

  /** Milliseconds `key` (an address, for HTTP surfaces) must wait after repeated auth failures. */
  async authBlockedFor(key: string): Promise<number> {
    return this.#store.blockedFor(key, Date.now());
  }

  /** Records a failed HTTP auth attempt for `key`. */
  async authFailed(key: string): Promise<void> {
    this.#store.recordFailure(key, Date.now());
  }

  /** Provider HTTP (IdP endpoints included) goes through the egress binding when one is configured. */
  #oauthFetch = (url: string, init: RequestInit): Promise<Response> => (this.env.PROVIDER_FETCHER ? this.env.PROVIDER_FETCHER.fetch(url, init) : fetch(url, init));

  /** Starts a device login for `provider` with its IdP config; refused past OAUTH_MAX_PENDING logins in flight. */
  async oauthStart(provider: string, idp: OAuthDeviceConfig): Promise<LoginView | { error: string }> {
    const now = Date.now();
    this.#oauth.purge(now);
    if (this.#oauth.pendingCount(now) >= OAUTH_MAX_PENDING) return { error: `${OAUTH_MAX_PENDING} logins are already in progress; finish or let one expire first` };
    const login = await startDeviceLogin(idp, this.#oauthFetch, now);
    const id = crypto.randomUUID();
    this.#oauth.insert(id, provider, login, idp, now);
    return this.#loginView(id)!;
  }

  #loginView(id: string): LoginView | null {
    const l = this.#oauth.get(id);
    if (!l) return null;
    const { deviceCode: _d, codeVerifier: _v, tokenUrl: _t, clientId: _c, nextPollAt: _n, ...view } = l;
    return view;
  }

  /** One poll step if it is time (the IdP's interval is honoured across callers); returns the login's state. */
  async oauthPoll(loginId: string): Promise<(LoginView & { retryInMs: number }) | null> {
    const l = this.#oauth.get(loginId);
    if (!l) return null;
    const now = Date.now();
    if (l.status === 'pending' && now >= l.nextPollAt) {
      // Mark the next slot first, so concurrent waiters do not poll the IdP twice.
      this.#oauth.update(loginId, { status: 'pending' }, now);
      const r = await pollDeviceLogin({ tokenUrl: l.tokenUrl, clientId: l.clientId, deviceAuthorizationUrl: l.tokenUrl, pkce: !!l.codeVerifier }, l, this.#oauthFetch, now);
      if (r.status === 'ok') {
        this.#oauth.saveTokens({ ...r.tokens, provider: l.provider, tokenUrl: l.tokenUrl, clientId: l.clientId, updatedAt: now });
        this.#oauth.update(loginId, { status: 'ok' }, now);
      } else if (r.status === 'pending') this.#oauth.update(loginId, { status: 'pending', intervalMs: r.intervalMs }, now);
      else this.#oauth.update(loginId, { status: r.status, message: r.message }, now);
    }
    const after = this.#oauth.get(loginId)!;
    return { ...this.#loginView(loginId)!, retryInMs: after.status === 'pending' ? Math.max(0, after.nextPollAt - Date.now()) : 0 };
  }

  /** The provider's access token, refreshed first when it expires within a minute; null when not logged in. */
  async oauthAccessToken(provider: string): Promise<{ accessToken: string; resourceUrl?: string } | null> {
    let t = this.#oauth.tokens(provider);
    if (!t) return null;
    if (t.expiresAt !== undefined && t.expiresAt - Date.now() < 60_000) {
      if (!t.refreshToken) return null;
      let pending = this.#refreshing.get(provider);
      if (!pending) {
        const current = t;
        pending = refreshTokens(current, current.refreshToken!, this.#oauthFetch)
          .then((fresh) => {
            const next: StoredTokens = { ...fresh, provider, tokenUrl: current.tokenUrl, clientId: current.clientId, updatedAt: Date.now() };
            this.#oauth.saveTokens(next);
            return next;
          })
          .catch(() => null)
          .finally(() => this.#refreshing.delete(provider));
        this.#refreshing.set(provider, pending);
      }
      t = await pending;
      if (!t) return null;
    }
    return { accessToken: t.accessToken, ...(t.resourceUrl ? { resourceUrl: t.resourceUrl } : {}) };
  }

  /** Logged-in providers (no secrets), and logout. */
  async oauthList(): Promise<Array<{ provider: string; expiresAt: number | null; refreshable: boolean; updatedAt: number }>> {
    return this.#oauth.list();
  }
  async oauthLogout(provider: string): Promise<boolean> {
    return this.#oauth.deleteTokens(provider);
  }

  /** The `memory` tool's notes (per agent; bounded by MemoryStore). */
  async memoryGet(agentId: string, key: string): Promise<string | null> {
    return this.#memory.get(agentId, key);
  }
  async memorySet(agentId: string, key: string, value: string): Promise<{ ok: true } | { ok: false; error: string }> {
    return this.#memory.set(agentId, key, value);
  }
  async memoryDelete(agentId: string, key: string): Promise<boolean> {
    return this.#memory.delete(agentId, key);
  }
  async memoryList(agentId: string): Promise<Array<{ key: string; chars: number; updatedAt: number }>> {
    return this.#memory.list(agentId);
  }

  /** Signs an attestation; the key is generated once and kept in this object's storage (never leaves it). */
  async signAttestation(payload: AttestationPayload): Promise<Attestation> {
    this.#attestKey ??= (async () => {
      const stored = await this.ctx.storage.get<StoredAttestationKey>(ATTEST_KEY);
      if (stored) return stored;
      const created = await generateAttestationKey();
      await this.ctx.storage.put(ATTEST_KEY, created);
      return created;
    })();
    this.#attestKey.catch(() => (this.#attestKey = null));
    return signAttestation(await this.#attestKey, payload);
  }

  /** Spends one VirusTotal request from the deployment-wide budget (one bucket for every isolate and session). */
  async vtTake(now: number): Promise<{ ok: boolean; retryAfterMs: number }> {
    return storeBudget(this.ctx.storage, vtLimitsOf(this.env)).take(now);
  }

  async uptimeMs(): Promise<number> {
    return Date.now() - this.#startedAt;
  }

  /** Called by SessionDO when a run ends: records it, broadcasts chat/agent events, answers owed finals. */
  async runFinished(run: { runId: string; sessionKey: string; status: 'ok' | 'error' | 'aborted'; text: string; error?: string; startedAt: number; events?: readonly { event: string; payload: unknown }[]; usage?: { model: string; inputTokens: number; outputTokens: number } }): Promise<void> {
    if (run.usage) this.#control.recordUsage(run.usage.model, run.usage.inputTokens, run.usage.outputTokens);
    if (run.events) await this.broadcastBatch(run.events);
    const endedAt = Date.now();
    this.#store.trackRun({ runId: run.runId, sessionKey: run.sessionKey, status: 'running', acceptedAt: run.startedAt });
    this.#store.finishRun(run.runId, run.status, endedAt, run.text, run.error);
    const message = { role: 'assistant', content: [{ type: 'text', text: run.text }], timestamp: endedAt };
    const state = run.status === 'ok' ? 'final' : run.status === 'aborted' ? 'aborted' : 'error';
    await this.broadcast('chat', { runId: run.runId, sessionKey: run.sessionKey, seq: 1, state, ...(run.text ? { message } : {}), ...(run.error ? { errorMessage: run.error } : {}) });
    await this.broadcast('agent', { runId: run.runId, sessionKey: run.sessionKey, seq: 1, stream: 'lifecycle', ts: endedAt, data: { phase: run.status === 'ok' ? 'end' : 'error' } });
    this.#answerFinals(run.runId);
    for (const wake of this.#waiters.get(run.runId) ?? []) wake();
  }

  /** Sends the final `res` of every two-phase request waiting on a finished run. */
  #answerFinals(runId: string): void {
    const run = this.#store.run(runId);
    if (!run || run.status === 'running') return;
    const owed = this.#store.takeFinals(runId);
    if (owed.length === 0) return;
    const byConn = new Map(this.ctx.getWebSockets().map((ws) => [attachmentOf(ws as unknown as GatewaySocket).connId, ws]));
    const payload = {
      runId,
      status: run.status === 'ok' ? 'ok' : 'error',
      summary: run.status === 'ok' ? 'completed' : run.status === 'aborted' ? 'aborted' : 'failed',
      result: { payloads: run.text ? [{ text: run.text }] : [], meta: { durationMs: (run.endedAt ?? run.acceptedAt) - run.acceptedAt } },
    };
    for (const { connId, requestId } of owed) byConn.get(connId)?.send(JSON.stringify({ type: 'res', id: requestId, ok: true, payload }));
  }

  /** Broadcasts `presence` at most once per second, coalescing bursts of connects and disconnects. */
  #presenceChanged(): void {
    if (this.#presenceTimer) return;
    this.#presenceTimer = setTimeout(() => {
      this.#presenceTimer = null;
      void this.presence().then((entries) => {
        const payload = { presence: entries.slice(0, SNAPSHOT_PRESENCE_MAX) };
        for (const ws of this.ctx.getWebSockets()) sendEvent(ws as unknown as GatewaySocket, 'presence', payload, this.#policy, { dropIfSlow: true });
      });
    }, PRESENCE_COALESCE_MS);
  }

  #deps(): ConnectionDeps {
    return {
      env: this.env,
      hub: this,
      registry: METHODS,
      policy: this.#policy,
      limiter: this.#store,
      devices: this.#gate,
      now: () => Date.now(),
      onAuthenticated: () => this.#presenceChanged(),
      owesFinal: async (runId, connId, requestId) => {
        this.#store.oweFinal(runId, connId, requestId);
        // Already finished (a retry of a completed run): the final goes out right after the accepted frame.
        queueMicrotask(() => this.#answerFinals(runId));
      },
      snapshot: async () => ({
        // Bounded: a gateway with thousands of sockets must not build a huge hello for each new one.
        presence: (await this.presence()).slice(0, SNAPSHOT_PRESENCE_MAX),
        health: { ok: true, ts: Date.now() },
        stateVersion: { presence: 0, health: 0 },
        uptimeMs: Date.now() - this.#startedAt,
        sessionDefaults: { defaultAgentId: 'main', mainKey: 'main', mainSessionKey: 'agent:main:main', scope: 'per-sender' },
        authMode: 'token',
      }),
    };
  }
}
