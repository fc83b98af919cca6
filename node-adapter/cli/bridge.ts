// `edgeclaw bridge`: run edgeclaw as the Defender sidecar of an OpenClaw gateway, and `edgeclaw bridge status`:
// print the status file the running bridge (this command or `npm start` with a `bridge` section) keeps.
// Flags are overrides of the `bridge` config keys, validated by the one config schema.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { bridgeEnabled, DECISION_KINDS, type BridgeStatus } from '../../src/bridge/index.ts';
import { ConfigError, formatProblem } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { bridgePaths, bridgePolicy, startNodeBridge } from '../bridge-host.ts';
import { loadConfigWith } from '../config.ts';

const USAGE = `usage: edgeclaw bridge [--url ws://host:port] [--token T] [--config FILE] [--data-dir D] [--review deny|wait]
                       [--review-timeout-ms N] [--max-backoff-ms N] [--on-block abort|note|log] [--least-privilege]
                       [--insecure] [--log-level L]
       edgeclaw bridge status [--data-dir D] [--config FILE] [--json]
  Each flag overrides a key of the config file's "bridge" section (env: EDGECLAW_BRIDGE_URL, OPENCLAW_GATEWAY_TOKEN, ...).
  Exit codes: 0 stopped by a signal, 1 runtime failure, 2 bad flags/config or the gateway refused the connect (token, scope).`;

/** Flags of `edgeclaw bridge` and the env override (config key) each stands for. */
const FLAGS = {
  config: 'EDGECLAW_CONFIG',
  url: 'EDGECLAW_BRIDGE_URL',
  token: 'OPENCLAW_GATEWAY_TOKEN',
  'data-dir': 'EDGECLAW_DATA_DIR',
  review: 'EDGECLAW_BRIDGE_REVIEW',
  'review-timeout-ms': 'EDGECLAW_BRIDGE_REVIEW_TIMEOUT_MS',
  'max-backoff-ms': 'EDGECLAW_BRIDGE_MAX_BACKOFF_MS',
  'on-block': 'EDGECLAW_BRIDGE_ON_BLOCK',
  'least-privilege': 'EDGECLAW_BRIDGE_LEAST_PRIVILEGE',
  insecure: 'EDGECLAW_BRIDGE_INSECURE',
  'log-level': 'EDGECLAW_LOG_LEVEL',
} as const;
const BOOLEAN_FLAGS = new Set(['least-privilege', 'insecure']);

function parseFlags(argv: readonly string[]) {
  const options = Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: BOOLEAN_FLAGS.has(k) ? ('boolean' as const) : ('string' as const) }]));
  return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { ...options, json: { type: 'boolean' } } });
}

/** Flag values as env-style overrides, plus labels so config errors name the flag. */
function overrides(values: Record<string, string | boolean | undefined>): { env: Record<string, string>; labels: Record<string, string> } {
  const env: Record<string, string> = {};
  const labels: Record<string, string> = {};
  for (const [flag, name] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (v === undefined) continue;
    env[name] = String(v);
    labels[name] = `flag --${flag}`;
  }
  return { env, labels };
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
  const k = (name: (typeof DECISION_KINDS)[number]) => s.kinds?.[name] ?? { seen: 0, allow: 0, review: 0, block: 0 };
  process.stdout.write(
    [
      `bridge  ${s.url}  ${alive ? `running (pid ${s.pid})` : 'not running'}`,
      `state   ${s.state}${s.detail ? ` (${s.detail})` : ''} since ${s.since}; server ${s.server ?? '-'}; observing ${s.observing ? 'yes' : 'no'}; updated ${s.updatedAt ?? '-'}`,
      `counts  connects ${c.connects}, duplicates ${c.duplicates}, dropped ${c.dropped}, bad frames ${c.badFrames}, errors ${c.errors}`,
      ...DECISION_KINDS.map((name) => `  ${name.padEnd(13)} seen ${k(name).seen}, allow ${k(name).allow}, review ${k(name).review}, block ${k(name).block}`),
      `  answers       approvals allowed ${c.allowed}, denied ${c.denied}, left to human ${c.leftToHuman}; runs aborted ${c.aborts}, notes ${c.notes}`,
      'last decisions:',
      ...s.lastDecisions.map((d) => `  ${d.ts}  ${d.kind.padEnd(13)} ${d.action.padEnd(6)} → ${d.response.padEnd(10)} ${d.outcome.padEnd(17)} ${d.id}  ${JSON.stringify(d.summary)}`),
    ].join('\n') + '\n',
  );
  return 0;
}

/** Runs `edgeclaw bridge …`; resolves to the exit code when the bridge stops. */
export async function bridgeMain(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let flags;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    process.stderr.write(`edgeclaw bridge: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = flags;
  const status = positionals[0] === 'status' && positionals.length === 1;
  if ((positionals.length > 0 && !status) || (values.json && !status)) {
    process.stderr.write(`edgeclaw bridge: unexpected ${positionals.length ? `argument "${positionals[0]}"` : '--json'}\n${USAGE}\n`);
    return 2;
  }
  const o = overrides(values);
  let config;
  try {
    config = loadConfigWith({ ...env, ...o.env }, o.labels).config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`edgeclaw bridge: invalid configuration:\n${err.problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}\n${USAGE}\n`);
    return 2;
  }
  if (status) return statusMain(config.dataDir, values.json === true);
  const b = config.bridge;
  if (!bridgeEnabled(b)) {
    process.stderr.write(`edgeclaw bridge: no gateway to bridge: pass --url (or set bridge.url in the config file, or EDGECLAW_BRIDGE_URL)\n${USAGE}\n`);
    return 2;
  }
  const log = createLogger(config.logLevel, { component: 'bridge' });

  const policy = await bridgePolicy(env, log);
  return new Promise<number>((done) => {
    const finish = (code: number) => {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      running.close();
      done(code);
    };
    const running = startNodeBridge(b, config.dataDir, log, {
      policy,
      onFatal(err) {
        process.stderr.write(`edgeclaw bridge: ${err.message}\n`);
        finish(2);
      },
    });
    const onSignal = () => finish(0);
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  });
}
