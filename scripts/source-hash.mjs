// The source hash a build embeds (`defender.attest` reports it): SHA-256 over the sorted relative paths and
// contents of src/, durable/, node-adapter/ and package-lock.json. Anyone with the same checkout gets the
// same value: `node scripts/source-hash.mjs`.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Hex SHA-256 of the source tree under `root`. */
export function sourceHash(root = ROOT) {
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) files.push(relative(root, p).split(sep).join('/'));
    }
  };
  for (const d of ['src', 'durable', 'node-adapter']) walk(join(root, d));
  files.push('package-lock.json');
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f).update('\0');
    h.update(readFileSync(join(root, f))).update('\0');
  }
  return h.digest('hex');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(sourceHash());
