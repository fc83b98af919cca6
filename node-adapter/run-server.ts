/**
 * `edgeclaw start` (and `npm start` through main.ts): runs the gateway in the foreground, and the bridge next to it
 * when the config has a `bridge.url`. Exit codes: 0 clean stop, 1 runtime failure (port in use, data dir locked),
 * 2 invalid configuration or flags.
 */
import { bridgeEnabled } from '../src/bridge/config.ts';
import { ConfigError, formatProblem } from '../src/config/schema.ts';
import { createLogger } from '../src/log.ts';
import { LogRing } from '../src/logs.ts';
import { flagsToEnv, loadConfig } from './config.ts';
import { createConfigFilePort } from './config-file-port.ts';
import { startServer } from './server.ts';
import type { NodeBridge } from './bridge-host.ts';

/** Runs the server until SIGTERM/SIGINT; resolves to the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(env, argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`edgeclaw: invalid configuration:\n${err.problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}\n`);
      return 2;
    }
    throw err;
  }
  // Log lines go to stdout and into a bounded ring that `logs.tail` reads.
  const ring = new LogRing();
  const log = createLogger(loaded.config.logLevel, { svc: 'edgeclaw' }, (line) => {
    ring.push(line);
    process.stdout.write(`${line}\n`);
  });
  // Signal handlers go in before start-up, so a signal that arrives while starting still stops us cleanly.
  let requested: string | null = null;
  let onSignal: (signal: string) => void = (signal) => {
    requested = signal;
  };
  let signalled = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (++signalled > 1) {
      process.stderr.write(`edgeclaw: second ${signal}; exiting now\n`);
      process.exit(130);
    }
    onSignal(signal);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);

  let server;
  try {
    server = await startServer(loaded.config, {
      log,
      logs: ring,
      configFile: createConfigFilePort(loaded.file, { ...env, ...flagsToEnv(argv) }),
      setupFile: loaded.file,
      onTokenGenerated: (token, file, url) =>
        process.stderr.write(
          `\nedgeclaw: generated a gateway admin token. It is shown only this once; only its SHA-256 is stored (${file}).\n\n` +
            `    ${token}\n\n` +
            `  Use it as a bearer token, e.g.  curl -H "Authorization: Bearer ${token}" ${url}/sessions\n` +
            `  Lost it? Stop edgeclaw, delete ${file}, and start again to get a new one (or set EDGECLAW_GATEWAY_TOKEN).\n\n`,
        ),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error('start failed', { error: message });
    process.stderr.write(`edgeclaw: ${message}\n`);
    return 1;
  }
  const running = server;
  // Bridge mode: the Defender sidecar of an OpenClaw gateway, in this process. A refused connect (wrong token,
  // missing scope) stops only the bridge: the gateway keeps serving, and the error is logged and in the status file.
  let bridge: NodeBridge | null = null;
  const bridgeConfig = loaded.config.bridge;
  if (bridgeEnabled(bridgeConfig)) {
    const bridgeLog = log.child({ component: 'bridge' });
    // Loaded only in bridge mode: the bridge and the Defender it embeds stay out of an idle gateway.
    const { bridgePolicy, startNodeBridge } = await import('./bridge-host.ts');
    bridge = startNodeBridge(bridgeConfig, loaded.config.dataDir, bridgeLog, {
      policy: await bridgePolicy(env, bridgeLog),
      onFatal: (err) => process.stderr.write(`edgeclaw: bridge stopped: ${err.message}\n`),
    });
  }
  return new Promise<number>((resolve) => {
    onSignal = (signal) => {
      log.info('stopping', { signal });
      bridge?.close();
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          log.error('shutdown failed', { err });
          resolve(1);
        },
      );
    };
    if (requested) onSignal(requested);
  });
}
