/** The edgeclaw version reported by the gateway (kept equal to package.json by test/core/version.test.ts). */
export const EDGECLAW_VERSION = '0.1.0';

declare const __EDGECLAW_SOURCE_HASH__: string | undefined;

/** SHA-256 of the sources this build was made from (scripts/source-hash.mjs), or `unbuilt` when run from source. */
export const BUILD_SOURCE_HASH: string = typeof __EDGECLAW_SOURCE_HASH__ === 'string' ? __EDGECLAW_SOURCE_HASH__ : 'unbuilt';
