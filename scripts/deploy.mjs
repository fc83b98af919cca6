// `npm run deploy [-- --skip-migrations] [-- <wrangler deploy flags>]`: applies the D1 migrations to the
// remote database, then deploys the Worker with the build's source hash defined (what `defender.attest`
// reports, so `edgeclaw attest verify --expect-build <hash>` can check the deployment).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceHash } from './source-hash.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const wrangler = join(root, 'node_modules/.bin/wrangler');
const args = process.argv.slice(2);
const skipMigrations = args.includes('--skip-migrations');
const passThrough = args.filter((a) => a !== '--skip-migrations');

function run(cmd, argv) {
  const res = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

if (!skipMigrations) run(wrangler, ['d1', 'migrations', 'apply', 'DB', '--remote']);
const hash = sourceHash(root);
console.log(`deploying build ${hash}`);
run(wrangler, ['deploy', '--define', `__EDGECLAW_SOURCE_HASH__:"${hash}"`, ...passThrough]);
