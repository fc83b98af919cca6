/** The edgeclaw version reported by the gateway (kept equal to package.json by test/core/version.test.ts). */
export const EDGECLAW_VERSION = '0.1.0';
