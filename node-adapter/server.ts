/**
 * The Node server: the shared Hono app on @hono/node-server, with the bindings from bindings.ts.
 * Start-up order: data dir (locked) → admin token → registry migrations → Durable Object host →
 * listen → alarms. Shutdown reverses it within a bounded time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createApp } from '../src/app.ts';
import { METRICS } from '../src/metrics.ts';
import type { Config } from '../src/config/schema.ts';
import type { Logger } from '../src/log.ts';
import type { LogTail } from '../src/logs.ts';
import { createBindings, tokenDigest } from './bindings.ts';
import { createHostMetrics } from './host-metrics.ts';
import { DATA_DIR_CONFIG } from './config.ts';
import { createSetupWriter } from './setup-writer.ts';
import { integrityInterval, integrityPaths, startIntegrityMonitor } from './integrity.ts';
import type { Env } from '../src/env.ts';
import { NodeD1Database } from './d1.ts';
import { ensureAdminToken, ensureDataDir, lockDataDir } from './data-dir.ts';
import { DurableObjectHost } from './do-host.ts';
import { migrateRegistry } from './migrate.ts';
import { restrictRegistryFile } from './secret-store.ts';
import { openDatabase } from './sqlite.ts';
import type { ConfigFilePort } from '../src/gateway/config-service.ts';
import { NodeChannelHost } from './channel-host.ts';

/** A running server. */
export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Graceful stop: refuse new work, finish or persist in-flight work, close storage. */
  close(): Promise<{ drained: boolean }>;
}

/** Raised when the port cannot be bound, with a message for the operator. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/** The client's address: the peer, or the last X-Forwarded-For hop when the peer is a trusted proxy. */
export function clientAddress(req: { socket: { remoteAddress?: string | undefined }; headers: Record<string, string | string[] | undefined> }, trusted: readonly string[]): string {
  const peer = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
  const forwarded = req.headers['x-forwarded-for'];
  if (!trusted.includes(peer) || typeof forwarded !== 'string') return peer;
  return forwarded.split(',').map((s) => s.trim()).filter(Boolean).pop() ?? peer;
}

/**
 * True when the peer is a loopback address and no proxy header is present: the only connects that
 * `gateway.nodes.pairing.autoApproveLocal` may approve (a local reverse proxy makes every client look local).
 */
export function isDirectLocal(req: { socket: { remoteAddress?: string | undefined }; headers: Record<string, string | string[] | undefined> }): boolean {
  const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const loopback = peer === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(peer);
  const proxied = ['x-forwarded-for', 'x-real-ip', 'forwarded', 'x-forwarded-host', 'cf-connecting-ip'].some((h) => req.headers[h] !== undefined);
  return loopback && !proxied;
}

/** Starts everything; resolves once the socket listens and alarms run. */
export async function startServer(
  config: Config,
  opts: { log: Logger; logs?: LogTail; onTokenGenerated?: (token: string, file: string, url: string) => void; configFile?: ConfigFilePort; setupFile?: string | null },
): Promise<RunningServer> {
  const { log } = opts;
  const dataDir = ensureDataDir(config.dataDir);
  const lock = lockDataDir(dataDir);
  const cleanups: (() => unknown)[] = [() => lock.release()];
  try {
    const token = config.gateway.token ? { digest: tokenDigest(config.gateway.token), generated: null, file: '' } : ensureAdminToken(dataDir);
    const registryDb = openDatabase(join(dataDir, 'registry.sqlite'));
    // The registry holds the secret store: owner-only, like the token file.
    restrictRegistryFile(join(dataDir, 'registry.sqlite'));
    cleanups.unshift(() => registryDb.close());
    const applied = migrateRegistry(registryDb);
    if (applied.length > 0) log.info('registry migrated', { applied });

    const host = new DurableObjectHost({
      dataDir,
      maxActive: config.durableObjects.maxActive,
      idleEvictMs: config.durableObjects.idleEvictMs,
      log,
    });
    cleanups.unshift(() => host.close(0));
    const hostMetrics = createHostMetrics({ memorySampleSecs: config.runtime.memorySampleSecs, registries: () => host.registries() });
    cleanups.unshift(() => hostMetrics.stop());
    const workspace = join(dataDir, 'workspace');
    mkdirSync(workspace, { recursive: true, mode: 0o700 });
    // The host guard's integrity baseline (config, policy files, this bundle), taken before anything runs.
    let envRef: Env | null = null;
    const integrity = startIntegrityMonitor(
      integrityPaths(process.env, [process.env.EDGECLAW_CONFIG, process.env.EDGECLAW_POLICY_BUNDLE_FILE, process.env.EDGECLAW_POLICY_TRUST_FILE, process.argv[1]]),
      integrityInterval(process.env),
      () => envRef!,
      log,
    );
    cleanups.unshift(() => integrity.stop());
    // Long-running channel connections (Discord Gateway, Signal events) reach the env through CHANNEL_HOST.
    let bound: Env | null = null;
    const channelHost = new NodeChannelHost(() => bound!, log);
    cleanups.unshift(() => channelHost.close());
    const env = createBindings(config, {
      integrity,
      registry: new NodeD1Database(registryDb),
      host,
      channelHost,
      adminTokenDigest: token.digest,
      processEnv: process.env,
      workspace,
      hostMetrics,
      // wizard.* writes where this server reads its config (or the data dir's edgeclaw.json5, read on next start).
      setup: createSetupWriter(opts.setupFile ?? join(dataDir, DATA_DIR_CONFIG), dataDir),
      ...(opts.logs ? { logs: opts.logs } : {}),
      ...(opts.configFile ? { configFile: opts.configFile } : {}),
    });
    envRef = env;

    const state = { listening: false, closing: false, inflight: 0 };
    const app = createApp({
      readiness: [() => (state.closing ? 'shutting down' : state.listening ? null : 'gateway socket not listening')],
    });
    const execCtx = {
      waitUntil: (p: Promise<unknown>) => host.waitUntil(p),
      passThroughOnException: () => {},
      props: {},
    };
    const server: ServerType = await new Promise((resolve, reject) => {
      const s = serve({
        fetch: async (req: Request) => {
          state.inflight++;
          try {
            return await app.fetch(req, env, execCtx);
          } finally {
            state.inflight--;
          }
        },
        port: config.port,
        hostname: config.host,
      });
      s.once('listening', () => resolve(s));
      s.once('error', (err: NodeJS.ErrnoException) => {
        const where = `${config.host}:${config.port}`;
        if (err.code === 'EADDRINUSE') reject(new ListenError(`cannot listen on ${where}: the port is already in use (another edgeclaw or another program); set PORT or --port to a free port`));
        else if (err.code === 'EACCES') reject(new ListenError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose a port >= 1024`));
        else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ListenError(`cannot listen on ${where}: no such local address; set HOST to an address of this machine`));
        else reject(err);
      });
    });
    // WebSocket gateway at `/`: the upgrade goes to GatewayDO, hosted here (Workers route it to the DO instead).
    const wss = new WebSocketServer({ noServer: true, maxPayload: config.gateway.maxPayload, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/' || state.closing) {
        socket.end(`HTTP/1.1 ${state.closing ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        METRICS.gatewayConnections.inc({ transport: 'ws' });
        host.acceptWebSocket('GATEWAY', 'main', ws, 'acceptSocket', clientAddress(req, config.gateway.trustedProxies), isDirectLocal(req)).catch((err: unknown) => {
          log.error('websocket accept failed', { err });
          ws.close(1011, 'internal error');
        });
      });
    });
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    state.listening = true;
    host.start();
    bound = env;
    hostMetrics.start();
    if (config.channels.telegram.accounts.length > 0 || process.env.TELEGRAM_BOT_TOKEN) {
      const [{ startTelegramAccounts }, { accountStoppedById }] = await Promise.all([import('../src/channels/telegram/startup.ts'), import('../src/channels/account-state.ts')]);
      log.info('telegram accounts', { accounts: await startTelegramAccounts(env, { skip: (id) => accountStoppedById(env, 'telegram', id) }) });
    }
    if (config.channels.discord.accounts.some((a) => a.gateway) || config.channels.signal.accounts.length > 0 || process.env.DISCORD_GATEWAY || process.env.SIGNAL_URL) {
      log.info('channel connections', { connections: await channelHost.startAll() });
    }
    log.info('listening', { url, dataDir, pid: process.pid });
    if (token.generated) opts.onTokenGenerated?.(token.generated, token.file, url);

    let closing: Promise<{ drained: boolean }> | null = null;
    return {
      url,
      port,
      dataDir,
      close() {
        closing ??= (async () => {
          state.closing = true;
          hostMetrics.stop();
          integrity.stop();
          const deadline = Date.now() + config.shutdownTimeoutMs;
          const stopped = new Promise<void>((r) => server.close(() => r()));
          if ('closeIdleConnections' in server) server.closeIdleConnections();
          while (state.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          await channelHost.close();
          const result = await host.close(Math.max(0, deadline - Date.now()));
          if ('closeAllConnections' in server) server.closeAllConnections();
          await stopped;
          registryDb.close();
          lock.release();
          const drained = result.drained && state.inflight === 0;
          log.info('stopped', { drained });
          return { drained };
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const c of cleanups) {
      try {
        await c();
      } catch {
        // already failing; the original error is the one to report
      }
    }
    throw err;
  }
}
