// Types of scripts/node-bundle.mjs (for the bundle-boundary test).
import type { Metafile, OutputFile } from 'esbuild';

/** The server's entry module, relative to the project root. */
export declare const SERVER_ENTRY: string;

/** Modules reachable from `entry` through static imports only, and the dynamic-import targets outside them. */
export declare function staticClosure(metafile: Metafile, entry: string): { core: Set<string>; lazy: Set<string> };

/** Output files reachable from `entryOut` through static imports. */
export declare function staticChunks(metafile: Metafile, entryOut: string): Set<string>;

/** Builds the server and the CLI bundles in memory (nothing written). */
export declare function buildNodeBundle(opts: { root: string; outdir: string; sourceHash: string; minify?: boolean }): Promise<{ outputFiles: OutputFile[]; server: Metafile; cli: Metafile }>;
