// `npm run docs:config`: renders the README's configuration reference (between <!-- config:begin --> and
// <!-- config:end -->) from the one zod schema (src/config/schema.ts: descriptions, defaults, ENV_OVERRIDES)
// and the start flags. `--check` only reports: exit 1 when the README region is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { START_FLAGS } from '../node-adapter/config.ts';
import { renderConfigReference, replaceReferenceRegion } from '../src/config/reference.ts';

const readmePath = join(import.meta.dirname, '..', 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const flags = Object.fromEntries(Object.entries(START_FLAGS).map(([flag, env]) => [env, `--${flag}`]));
const next = replaceReferenceRegion(readme, renderConfigReference(flags));
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md configuration reference is stale: run `npm run docs:config`');
    process.exit(1);
  }
  console.log('README.md configuration reference is up to date');
} else if (next !== readme) {
  writeFileSync(readmePath, next);
  console.log('README.md configuration reference updated');
} else {
  console.log('README.md configuration reference already up to date');
}
