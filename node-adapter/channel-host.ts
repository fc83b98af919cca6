/**
 * The Node host's long-running channel connections (the `ChannelHost` binding): one Discord Gateway
 * socket per account with `gateway: true` (over `ws`), and one signal-cli event stream per Signal
 * account. Logged-out accounts are not started; `channels.logout` stops one, `channels.start` starts it
 * again. Workers have no such host: those modes are Node only.
 */
import WebSocket from 'ws';
import type { Env } from '../src/env.ts';
import type { Logger } from '../src/log.ts';
import type { ChannelHost, LiveAccountState } from '../src/channels/channel-driver.ts';

/** One running connection. */
interface Running {
  live(): LiveAccountState;
  stop(): Promise<void>;
}

/** Test hooks: a shorter reconnect backoff. */
export interface ChannelHostOptions {
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
}

/** The host object; `startAll()` after listening, `close()` on shutdown. */
export class NodeChannelHost implements ChannelHost {
  readonly #env: () => Env;
  readonly #log: Logger;
  readonly #opts: ChannelHostOptions;
  readonly #running = new Map<string, Running>();

  constructor(env: () => Env, log: Logger, opts: ChannelHostOptions = {}) {
    this.#env = env;
    this.#log = log;
    this.#opts = opts;
  }

  live(channel: string, account: string): LiveAccountState | null {
    return this.#running.get(`${channel}:${account}`)?.live() ?? null;
  }

  async stop(channel: string, account: string): Promise<boolean> {
    const r = this.#running.get(`${channel}:${account}`);
    if (!r) return false;
    this.#running.delete(`${channel}:${account}`);
    await r.stop();
    return true;
  }

  async start(channel: string, account: string): Promise<boolean> {
    await this.stop(channel, account);
    if (channel === 'discord') return this.#startDiscord(account);
    if (channel === 'signal') return this.#startSignal(account);
    return false;
  }

  /** Starts every configured connection whose account is not logged out; one line per account. */
  async startAll(): Promise<{ channel: string; account: string; action: string }[]> {
    const env = this.#env();
    const out: { channel: string; account: string; action: string }[] = [];
    const { accountStoppedById } = await import('../src/channels/account-state.ts');
    const { resolveDiscordAccounts } = await import('../src/channels/discord/config.ts');
    const { resolveSignalAccounts } = await import('../src/channels/signal/config.ts');
    const wanted = [
      ...resolveDiscordAccounts(env).filter((a) => a.gateway).map((a) => ({ channel: 'discord', account: a.id })),
      ...resolveSignalAccounts(env).map((a) => ({ channel: 'signal', account: a.id })),
    ];
    for (const w of wanted) {
      try {
        if (await accountStoppedById(env, w.channel, w.account)) {
          out.push({ ...w, action: 'skipped (logged out)' });
          continue;
        }
        out.push({ ...w, action: (await this.start(w.channel, w.account)) ? 'started' : 'not started' });
      } catch (err) {
        this.#log.warn('channel connection not started', { ...w, err });
        out.push({ ...w, action: `failed: ${err instanceof Error ? err.message : 'error'}` });
      }
    }
    return out;
  }

  /** Stops everything (shutdown). */
  async close(): Promise<void> {
    const all = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(all.map((r) => r.stop().catch(() => undefined)));
  }

  async #startDiscord(id: string): Promise<boolean> {
    const env = this.#env();
    const [{ findDiscordAccount }, { DiscordGatewayClient }, { createDiscordApi }, { handleGatewayMessage }, { createDiscordOutbox }, { noteAccountEvent }, { sessionsSink }, { MemoryOutboxStore }] = await Promise.all([
      import('../src/channels/discord/config.ts'),
      import('../src/channels/discord/gateway.ts'),
      import('../src/channels/discord/api.ts'),
      import('../src/channels/discord/inbound.ts'),
      import('../src/channels/discord/delivery.ts'),
      import('../src/channels/account-state.ts'),
      import('../src/channels/sessions-sink.ts'),
      import('../src/channels/outbox.ts'),
    ]);
    const account = findDiscordAccount(env, id);
    if (!account?.gateway || !account.botToken) return false;
    const log = this.#log.child({ channel: 'discord', account: id });
    // The session position survives a restart: the next process RESUMEs and Discord replays what it missed.
    const { savedPosition } = await import('../src/storage/repos/meta.ts');
    const { sha256HexOf } = await import('../src/defender/active-policy.ts');
    const bot = (await sha256HexOf(account.botToken)).slice(0, 16);
    const checkpoints = savedPosition(env.DB, `discord.gateway.${id}`, (err) => log.warn('discord gateway checkpoint not saved', { err: String(err) }));
    const saved = await checkpoints.load();
    const resume =
      saved && saved.bot === bot && typeof saved.sessionId === 'string' && typeof saved.resumeUrl === 'string' && Number.isSafeInteger(saved.handledSeq)
        ? { sessionId: saved.sessionId, resumeUrl: saved.resumeUrl, handledSeq: saved.handledSeq as number }
        : null;
    const api = createDiscordApi(account);
    const notices = createDiscordOutbox({ account: () => account, api: () => api, interactionToken: async () => null, store: new MemoryOutboxStore(2_000) });
    const sink = sessionsSink(env.SESSIONS);
    const client = new DiscordGatewayClient({
      token: account.botToken,
      intents: account.gatewayIntents,
      resolveUrl: () => api.gatewayUrl(),
      connect: (url, h) => {
        const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024 });
        ws.on('message', (data) => h.message(data.toString()));
        ws.on('close', (code, reason) => h.close(code, reason.toString()));
        ws.on('error', (err) => log.debug('discord gateway socket error', { error: err.message }));
        return {
          send: (d) => ws.readyState === WebSocket.OPEN && ws.send(d),
          close: (code, reason) => (ws.readyState === WebSocket.CONNECTING ? ws.terminate() : ws.close(code, reason)),
        };
      },
      async onDispatch(type, data, botUserId) {
        if (type !== 'MESSAGE_CREATE') return;
        const outcome = await handleGatewayMessage(data, { account, botUserId, sink, notices, log });
        if (outcome !== 'ignored') await noteAccountEvent(env, 'discord', id, { kind: 'inbound', at: Date.now() });
      },
      onLifecycle(event, s) {
        log.info(`discord gateway ${event}`, { resumes: s.resumes, identifies: s.identifies, ...(s.lastError ? { error: s.lastError } : {}) });
        const at = Date.now();
        void noteAccountEvent(env, 'discord', id, event === 'fatal' ? { kind: 'error', at, error: s.lastError ?? 'gateway closed' } : { kind: event, at });
      },
      resume,
      onCheckpoint: (cp) => checkpoints.save(cp ? { bot, ...cp } : null),
      ...(this.#opts.backoff ? { backoff: this.#opts.backoff } : {}),
    });
    client.start();
    this.#running.set(`discord:${id}`, {
      live: () => {
        const s = client.state();
        return { running: s.running, connected: s.connected, lastError: s.lastError, lastConnectedAt: s.lastConnectedAt, reconnectAttempts: s.reconnectAttempts, details: { mode: 'gateway', gateway: { resumes: s.resumes, identifies: s.identifies, seq: s.seq } } };
      },
      stop: async () => {
        client.stop();
        await checkpoints.flush();
      },
    });
    return true;
  }

  async #startSignal(id: string): Promise<boolean> {
    const env = this.#env();
    const [{ findSignalAccount }, { SignalReceiver }, { createSignalApi }, { handleSignalEvent }, { createSignalOutbox }, { noteAccountEvent }, { sessionsSink }, { MemoryOutboxStore }] = await Promise.all([
      import('../src/channels/signal/config.ts'),
      import('../src/channels/signal/receiver.ts'),
      import('../src/channels/signal/api.ts'),
      import('../src/channels/signal/inbound.ts'),
      import('../src/channels/signal/delivery.ts'),
      import('../src/channels/account-state.ts'),
      import('../src/channels/sessions-sink.ts'),
      import('../src/channels/outbox.ts'),
    ]);
    const account = findSignalAccount(env, id);
    if (!account) return false;
    const log = this.#log.child({ channel: 'signal', account: id });
    // The stream position survives a restart: the next process asks the daemon for what came after it.
    const { savedPosition } = await import('../src/storage/repos/meta.ts');
    const stream = `${account.url}|${account.number}`;
    const checkpoints = savedPosition(env.DB, `signal.events.${id}`, (err) => log.warn('signal stream position not saved', { err: String(err) }));
    const saved = await checkpoints.load();
    const lastEventId = saved && saved.stream === stream && typeof saved.lastEventId === 'string' ? saved.lastEventId : null;
    const api = createSignalApi(account);
    const notices = createSignalOutbox({ account: () => account, api: () => api, store: new MemoryOutboxStore(2_000) });
    const sink = sessionsSink(env.SESSIONS);
    const receiver = new SignalReceiver({
      url: `${account.url}/api/v1/events${account.multiAccount ? `?account=${encodeURIComponent(account.number)}` : ''}`,
      async onEvent(data) {
        const outcome = await handleSignalEvent(data, { account, sink, notices, log });
        if (outcome !== 'ignored') await noteAccountEvent(env, 'signal', id, { kind: 'inbound', at: Date.now() });
      },
      onLifecycle(event, s) {
        log.info(`signal events ${event}`, s.lastError ? { error: s.lastError } : {});
        void noteAccountEvent(env, 'signal', id, { kind: event, at: Date.now() });
      },
      lastEventId,
      onCheckpoint: (eventId) => checkpoints.save({ stream, lastEventId: eventId }),
      ...(this.#opts.backoff ? { backoff: this.#opts.backoff } : {}),
    });
    receiver.start();
    this.#running.set(`signal:${id}`, {
      live: () => {
        const s = receiver.state();
        return { running: s.running, connected: s.connected, lastError: s.lastError, lastConnectedAt: s.lastConnectedAt, reconnectAttempts: s.reconnectAttempts, details: { lastEventId: s.lastEventId } };
      },
      stop: async () => {
        await receiver.stop();
        await checkpoints.flush();
      },
    });
    return true;
  }
}
