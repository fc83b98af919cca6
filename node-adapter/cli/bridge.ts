// `edgeclaw bridge`: run edgeclaw as the Defender sidecar of an OpenClaw gateway (node `ws` client), and
// `edgeclaw bridge status`: print the status file the running bridge keeps in its data dir.
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { z } from 'zod';
import { BRIDGE_SCOPES, BRIDGE_SCOPES_MINIMAL, createBridge, type BridgeAuditRecord, type BridgeStatus, type SocketFactory } from '../../src/bridge/index.ts';
import { createLogger } from '../../src/log.ts';
import { EDGECLAW_VERSION } from '../../src/version.ts';

const USAGE = `usage: edgeclaw bridge --url ws://host:port --token T [--data-dir D] [--review deny|wait] [--review-timeout-ms N]
                       [--max-backoff-ms N] [--least-privilege] [--insecure] [--log-level L]
       edgeclaw bridge status [--data-dir D] [--json]
  The token may also come from OPENCLAW_GATEWAY_TOKEN; the data dir from EDGECLAW_DATA_DIR (default ./data).
  Exit codes: 0 stopped by a signal, 1 runtime failure, 2 bad flags or the gateway refused the connect (token, scope).`;

/** Audit file cap: past this the file is rotated once to audit.jsonl.1 (so at most ~2x on disk). */
export const AUDIT_MAX_BYTES = 10 * 1024 * 1024;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** The validated flags of `edgeclaw bridge`. */
export const BridgeFlagsSchema = z.strictObject({
  url: z.string().url().refine((u) => /^wss?:\/\//.test(u), 'must be a ws:// or wss:// URL'),
  token: z.string().min(1, 'is required (--token or OPENCLAW_GATEWAY_TOKEN)').max(4096),
  dataDir: z.string().min(1),
  review: z.enum(['deny', 'wait']).default('deny'),
  reviewTimeoutMs: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  maxBackoffMs: z.coerce.number().int().min(100).max(300_000).default(30_000),
  leastPrivilege: z.boolean().default(false),
  insecure: z.boolean().default(false),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
}).refine((f) => f.insecure || f.url.startsWith('wss://') || LOOPBACK.has(new URL(f.url).hostname), {
  message: 'ws:// sends the token in clear text; use wss:// for a non-loopback host (or --insecure)', path: ['url'],
});

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

function collectFlags(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' }, token: { type: 'string' }, 'data-dir': { type: 'string' }, review: { type: 'string' },
      'review-timeout-ms': { type: 'string' }, 'max-backoff-ms': { type: 'string' }, 'least-privilege': { type: 'boolean' },
      insecure: { type: 'boolean' }, 'log-level': { type: 'string' }, json: { type: 'boolean' },
    },
  });
  return { values, positionals, dataDir: values['data-dir'] ?? env.EDGECLAW_DATA_DIR ?? './data' };
}

function statusMain(dataDir: string, json: boolean): number {
  const { status } = bridgePaths(dataDir);
  let s: BridgeStatus & { pid?: number; updatedAt?: string };
  try {
    s = JSON.parse(readFileSync(status, 'utf8'));
  } catch {
    process.stderr.write(`edgeclaw bridge status: no status in ${status} (has the bridge run with this --data-dir?)\n`);
    return 1;
  }
  let alive = false;
  try {
    if (s.pid) alive = process.kill(s.pid, 0);
  } catch {
    alive = false;
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...s, running: alive })}\n`);
    return 0;
  }
  const c = s.counters;
  process.stdout.write(
    [
      `bridge  ${s.url}  ${alive ? `running (pid ${s.pid})` : 'not running'}`,
      `state   ${s.state}${s.detail ? ` (${s.detail})` : ''} since ${s.since}; server ${s.server ?? '-'}; updated ${s.updatedAt ?? '-'}`,
      `counts  connects ${c.connects}, requests ${c.requests}, allowed ${c.allowed}, denied ${c.denied}, review ${c.review}, duplicates ${c.duplicates}, bad frames ${c.badFrames}, errors ${c.errors}`,
      'last decisions:',
      ...s.lastDecisions.map((d) => `  ${d.ts}  ${d.action.padEnd(6)} → ${String(d.resolution ?? 'human').padEnd(10)} ${d.outcome.padEnd(17)} ${d.approvalId}  ${JSON.stringify(d.command)}`),
    ].join('\n') + '\n',
  );
  return 0;
}

/** Runs `edgeclaw bridge …`; resolves to the exit code when the bridge stops. */
export async function bridgeMain(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let flags;
  try {
    flags = collectFlags(argv, env);
  } catch (e) {
    process.stderr.write(`edgeclaw bridge: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals, dataDir } = flags;
  if (positionals[0] === 'status' && positionals.length === 1) return statusMain(dataDir, values.json === true);
  if (positionals.length > 0 || values.json) {
    process.stderr.write(`edgeclaw bridge: unexpected ${positionals.length ? `argument "${positionals[0]}"` : '--json'}\n${USAGE}\n`);
    return 2;
  }
  const parsed = BridgeFlagsSchema.safeParse({
    url: values.url, token: values.token ?? env.OPENCLAW_GATEWAY_TOKEN, dataDir, review: values.review,
    reviewTimeoutMs: values['review-timeout-ms'], maxBackoffMs: values['max-backoff-ms'],
    leastPrivilege: values['least-privilege'] === true, insecure: values.insecure === true, logLevel: values['log-level'],
  });
  if (!parsed.success) {
    for (const i of parsed.error.issues) process.stderr.write(`edgeclaw bridge: --${String(i.path[0] ?? '').replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)} ${i.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const f = parsed.data;
  const paths = bridgePaths(f.dataDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const log = createLogger(f.logLevel, { component: 'bridge' });

  let latest: BridgeStatus | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  const flush = () => {
    flushTimer = null;
    if (!latest) return;
    const tmp = `${paths.status}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...latest, pid: process.pid, updatedAt: new Date().toISOString() }, null, 2), { mode: 0o600 });
    renameSync(tmp, paths.status);
  };

  return new Promise<number>((done) => {
    const finish = (code: number) => {
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      done(code);
    };
    const bridge = createBridge({
      url: f.url, token: f.token, socket: wsSocket, log,
      identity: { version: EDGECLAW_VERSION, platform: process.platform, instanceId: randomUUID() },
      review: { mode: f.review, timeoutMs: f.reviewTimeoutMs },
      scopes: f.leastPrivilege ? BRIDGE_SCOPES_MINIMAL : BRIDGE_SCOPES,
      backoff: { baseMs: Math.min(1000, f.maxBackoffMs), maxMs: f.maxBackoffMs, jitter: 0.5 },
      audit: (r) => appendAudit(paths.audit, r),
      status(s) {
        latest = s;
        flushTimer ??= setTimeout(flush, 200);
      },
      onFatal(err) {
        process.stderr.write(`edgeclaw bridge: ${err.message}\n`);
        finish(2);
      },
    });
    const onSignal = () => {
      bridge.stop();
      finish(0);
    };
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
    log.info('bridge starting', { url: f.url, dataDir: paths.dir, review: f.review, reviewTimeoutMs: f.reviewTimeoutMs });
    bridge.start();
  });
}
