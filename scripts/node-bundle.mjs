// How the Node bundle (dist/node) is built, shared by scripts/build.mjs and the test that guards its lazy
// boundary (test/node/bundle-boundary.test.ts). Two builds write into one directory:
//
// - the server (`server.mjs`): code-split, so parts loaded on demand (agent runtime, channel drivers, the
//   gateway protocol, the Durable Object classes: SessionDO loads with the first /readyz) stay out of an
//   idle server.
//   Built twice: the first pass finds the entry's static import closure (the "core", evaluated at start
//   anyway) and every dynamic-import target outside it; the second pass makes each such target import the
//   whole core. Every lazy chunk then needs the same core, so esbuild keeps the core in a handful of chunks
//   instead of one per combination of lazy users (~45 before). Each chunk is one more module to resolve at
//   start, and about a hundred resolutions made Node's path code hot enough for TurboFan, whose compiler
//   pages alone cost ~5 MB of idle RSS. The added imports cost nothing at run time: a lazy chunk only ever
//   loads after the core has run.
// - the CLI (`cli.mjs`): a separate build, so its commands load only what they use (not the server core).
//
// Both builds swap zod's locale table (~260 KB of error messages in 50 languages, reachable through the `z`
// namespace object) for English only; edgeclaw never selects another locale.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The server's entry module, relative to the project root. */
export const SERVER_ENTRY = 'node-adapter/main.ts';

/** A virtual module that imports every module of the server core (see above). */
const CORE = 'edgeclaw:server-core';

/** The esbuild options both builds share. */
function baseOptions(root, { outdir, sourceHash, minify }) {
  return {
    absWorkingDir: root,
    write: false,
    outdir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // Minified: the bundle's source text stays in memory for the process lifetime (maps are linked for debugging).
    minify,
    sourcemap: 'linked',
    define: { __EDGECLAW_SOURCE_HASH__: JSON.stringify(sourceHash) },
    alias: { 'cloudflare:workers': join(root, 'node-adapter/cf-workers.mjs') },
    // CommonJS dependencies (ws) call require() for Node built-ins; give the ESM bundle one.
    banner: { js: "import { createRequire as __edgeclawRequire } from 'node:module'; const require = __edgeclawRequire(import.meta.url);" },
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
  };
}

/** zod's `locales/index.js` (imported by its core and classic namespaces) reduced to the English locale. */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](core|classic|mini)[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-locales' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * Modules reachable from `entry` through static imports only, and the dynamic-import targets outside them,
 * from an esbuild metafile (paths relative to the build's working directory).
 * @example const { core, lazy } = staticClosure(result.metafile, 'node-adapter/main.ts')
 */
export function staticClosure(metafile, entry) {
  const core = new Set([entry]);
  const stack = [entry];
  while (stack.length) {
    for (const imp of metafile.inputs[stack.pop()]?.imports ?? []) {
      if (imp.external || imp.kind !== 'import-statement' || core.has(imp.path)) continue;
      core.add(imp.path);
      stack.push(imp.path);
    }
  }
  const lazy = new Set();
  for (const input of Object.values(metafile.inputs)) {
    for (const imp of input.imports) if (!imp.external && imp.kind === 'dynamic-import' && !core.has(imp.path)) lazy.add(imp.path);
  }
  return { core, lazy };
}

/**
 * Output files reachable from `entryOut` through static imports (what Node loads before the entry runs).
 * @example staticChunks(result.metafile, 'dist/node/server.mjs')
 */
export function staticChunks(metafile, entryOut) {
  const seen = new Set();
  const stack = [entryOut];
  while (stack.length) {
    const out = stack.pop();
    if (seen.has(out)) continue;
    seen.add(out);
    for (const imp of metafile.outputs[out]?.imports ?? []) if (imp.kind === 'import-statement' && metafile.outputs[imp.path]) stack.push(imp.path);
  }
  return seen;
}

/** Makes every module in `lazy` (absolute paths) import the core barrel, whose source is `barrel`. */
function coreImports(lazy, barrel) {
  return {
    name: 'server-core',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${CORE}$`) }, () => ({ path: CORE, namespace: 'server-core' }));
      b.onLoad({ filter: /.*/, namespace: 'server-core' }, () => ({ contents: barrel, loader: 'js', resolveDir: b.initialOptions.absWorkingDir }));
      b.onLoad({ filter: /\.(ts|mjs|js)$/ }, (args) => {
        if (!lazy.has(args.path)) return undefined;
        const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
        return { contents: `import ${JSON.stringify(CORE)};\n${readFileSync(args.path, 'utf8')}`, loader, resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * Builds the server and the CLI bundles in memory (nothing written).
 * @example const { outputFiles, server } = await buildNodeBundle({ root, outdir: join(root, 'dist/node'), sourceHash: 'dev' })
 */
export async function buildNodeBundle({ root, outdir, sourceHash, minify = true }) {
  const base = { ...baseOptions(root, { outdir, sourceHash, minify }), plugins: [englishOnlyZod] };
  const serverOptions = { ...base, entryPoints: { server: join(root, SERVER_ENTRY) } };
  // The probe only needs the metafile (the import graph): no minifying, no maps. The CLI builds alongside.
  const cliBuild = build({ ...base, entryPoints: { cli: join(root, 'node-adapter/cli/index.ts') } });
  const probe = await build({ ...serverOptions, minify: false, sourcemap: false, legalComments: 'none' });
  const { core, lazy } = staticClosure(probe.metafile, SERVER_ENTRY);
  const barrel = [...core]
    // Packages are left to their own users: most declare `sideEffects: false`, which makes a bare import a no-op.
    .filter((p) => p !== SERVER_ENTRY && !p.includes(':') && !p.startsWith('node_modules/'))
    .map((p) => `import ${JSON.stringify(resolve(root, p))};`)
    .join('\n');
  // Only our own modules get the import (a package's file may be CommonJS, where an import statement does not belong).
  const lazyAbs = new Set([...lazy].filter((p) => !p.includes(':') && !p.startsWith('node_modules/')).map((p) => resolve(root, p)));
  const server = await build({ ...serverOptions, plugins: [englishOnlyZod, coreImports(lazyAbs, barrel)] });
  const cli = await cliBuild;
  // Both builds name chunks by content hash, so a chunk they share is the same file.
  const byPath = new Map();
  for (const file of [...server.outputFiles, ...cli.outputFiles]) byPath.set(file.path, file);
  return { outputFiles: [...byPath.values()], server: server.metafile, cli: cli.metafile };
}
