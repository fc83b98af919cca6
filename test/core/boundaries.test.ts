// Keeps the architecture honest: src/ is runtime-neutral (Web APIs only), durable/ adds only
// cloudflare:workers, and neither branches on the runtime.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => (m[1] ?? m[2])!);
}

const RUNTIME_SNIFF = /\b(process\.versions|typeof\s+process|isNode|navigator\.userAgent|globalThis\.process|Deno\.|Bun\.)/;

describe('module boundaries', () => {
  it('src/ imports no Node, Workers or driver modules', () => {
    const bad = files('src').flatMap((f) =>
      imports(f)
        .filter((s) => /^(node:|cloudflare:|ws$|@hono\/node-server|drizzle-orm\/(?!d1$|sqlite-core$))/.test(s) || (!s.startsWith('.') && ['fs', 'path', 'crypto', 'os'].includes(s)))
        .map((s) => `${f}: ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('durable/ imports only cloudflare:workers beyond src/', () => {
    const bad = files('durable').flatMap((f) =>
      imports(f)
        .filter((s) => !s.startsWith('.') && s !== 'cloudflare:workers')
        .map((s) => `${f}: ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('src/ and durable/ never branch on the runtime', () => {
    const bad = [...files('src'), ...files('durable')].filter((f) => RUNTIME_SNIFF.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(bad).toEqual([]);
  });

  it('only node-adapter/ and tests import the node adapter', () => {
    const bad = [...files('src'), ...files('durable')].flatMap((f) => imports(f).filter((s) => s.includes('node-adapter')).map((s) => `${f}: ${s}`));
    expect(bad).toEqual([]);
  });
});
