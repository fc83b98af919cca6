/**
 * Runs a bridge on Node: the `ws` socket port, the bounded audit file and the status file in
 * `<dataDir>/bridge/`. Shared by `edgeclaw bridge` and `npm start` (when the config has a `bridge.url`),
 * so `edgeclaw bridge status` reads the same files either way.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import {
  BRIDGE_SCOPES, BRIDGE_SCOPES_MINIMAL, createBridge,
  type Bridge, type BridgeAuditRecord, type BridgeFatalError, type BridgeStatus, type EnabledBridgeConfig, type SocketFactory,
} from '../src/bridge/index.ts';
import type { Logger } from '../src/log.ts';
import { EDGECLAW_VERSION } from '../src/version.ts';
import { PolicyHolder } from '../src/defender/active-policy.ts';
import type { DefenderPolicy } from '../src/defender/types.ts';

/** Audit file cap: past this the file is rotated once to audit.jsonl.1 (so at most ~2x on disk). */
export const AUDIT_MAX_BYTES = 10 * 1024 * 1024;

/** Where the bridge keeps its files inside a data dir. */
export function bridgePaths(dataDir: string): { dir: string; audit: string; status: string } {
  const dir = join(resolve(dataDir), 'bridge');
  return { dir, audit: join(dir, 'audit.jsonl'), status: join(dir, 'status.json') };
}

/** Appends one JSON line to a bounded, append-only audit file (rotated once past `maxBytes`). */
export function appendAudit(file: string, record: BridgeAuditRecord, maxBytes = AUDIT_MAX_BYTES): void {
  try {
    if (statSync(file).size >= maxBytes) renameSync(file, `${file}.1`);
  } catch {
    // no file yet
  }
  appendFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** A `ws` socket behind the bridge's socket port. */
export const wsSocket: SocketFactory = (url, h) => {
  const ws = new WebSocket(url, { maxPayload: 25 * 1024 * 1024, handshakeTimeout: 15_000, perMessageDeflate: false });
  ws.on('open', () => h.onOpen());
  ws.on('message', (data, isBinary) => h.onMessage(isBinary ? '\u0000binary' : data.toString()));
  ws.on('error', (err) => h.onError(err));
  ws.on('close', (code, reason) => h.onClose(code, reason.toString()));
  return {
    send: (text) => ws.send(text),
    close(code, reason) {
      try {
        ws.close(code, reason);
      } catch {
        ws.terminate();
      }
      setTimeout(() => ws.terminate(), 2000).unref();
    },
  };
};

/** A bridge running on Node with its files. */
export interface NodeBridge {
  readonly bridge: Bridge;
  readonly paths: ReturnType<typeof bridgePaths>;
  /** Stops the bridge and writes the final status. */
  close(): void;
}

/**
 * The policy the bridge decides with: the signed bundle of `EDGECLAW_POLICY_BUNDLE(_FILE)` verified against
 * `EDGECLAW_POLICY_TRUST(_FILE)` like the gateway's, or the built-in default (a rejected bundle is logged and
 * the default stays in force).
 * @example startNodeBridge(cfg, dataDir, log, { policy: await bridgePolicy(process.env, log) })
 */
export async function bridgePolicy(env: NodeJS.ProcessEnv, log: Logger): Promise<DefenderPolicy> {
  const read = (name: 'EDGECLAW_POLICY_BUNDLE' | 'EDGECLAW_POLICY_TRUST'): string | undefined => {
    if (env[name]) return env[name];
    const file = env[`${name}_FILE`];
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      log.error('bridge: policy file unreadable; the built-in policy stays in force', { file, err: String(err) });
      return undefined;
    }
  };
  const active = await new PolicyHolder().apply(read('EDGECLAW_POLICY_BUNDLE'), read('EDGECLAW_POLICY_TRUST'));
  if (active.error) log.warn('bridge: policy bundle rejected; previous or built-in policy in force', { code: active.error.code, error: active.error.message });
  else if (active.bundleVersion !== null) log.info('bridge: signed policy bundle active', { bundleVersion: active.bundleVersion, policyId: active.policyId });
  return active.policy;
}

/**
 * Starts a bridge for a validated `bridge` config section, writing audit and status under `dataDir`.
 * @example const b = startNodeBridge(config.bridge, config.dataDir, log, { onFatal: (e) => exit(2) }); … b.close()
 */
export function startNodeBridge(cfg: EnabledBridgeConfig, dataDir: string, log: Logger, opts: { onFatal?(err: BridgeFatalError): void; socket?: SocketFactory; policy?: DefenderPolicy } = {}): NodeBridge {
  const paths = bridgePaths(dataDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  let latest: BridgeStatus | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    if (!latest) return;
    const tmp = `${paths.status}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify({ ...latest, pid: process.pid, updatedAt: new Date().toISOString() }, null, 2), { mode: 0o600 });
      renameSync(tmp, paths.status);
    } catch (err) {
      log.error('bridge status write failed', { err: String(err) });
    }
  };
  const bridge = createBridge({
    url: cfg.url, token: cfg.token, socket: opts.socket ?? wsSocket, log,
    ...(opts.policy ? { policy: opts.policy } : {}),
    identity: { version: EDGECLAW_VERSION, platform: process.platform, instanceId: randomUUID() },
    review: { mode: cfg.review, timeoutMs: cfg.reviewTimeoutMs },
    scopes: cfg.leastPrivilege ? BRIDGE_SCOPES_MINIMAL : BRIDGE_SCOPES,
    backoff: { baseMs: Math.min(1000, cfg.maxBackoffMs), maxMs: cfg.maxBackoffMs, jitter: 0.5 },
    onBlock: cfg.onBlock,
    queueCap: cfg.queueCap,
    dedupeCapacity: cfg.dedupeCap,
    audit: (r) => appendAudit(paths.audit, r),
    status(s) {
      latest = s;
      flushTimer ??= setTimeout(flush, 200);
    },
    onFatal(err) {
      flush();
      opts.onFatal?.(err);
    },
  });
  log.info('bridge starting', { url: cfg.url, dataDir: paths.dir, review: cfg.review, reviewTimeoutMs: cfg.reviewTimeoutMs, onBlock: cfg.onBlock, leastPrivilege: cfg.leastPrivilege });
  bridge.start();
  return {
    bridge,
    paths,
    close() {
      bridge.stop();
      flush();
    },
  };
}
