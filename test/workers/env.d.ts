// Bindings the workers test project adds (vitest.config.ts miniflare.bindings).
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
    EDGECLAW_GATEWAY_TOKEN: string;
  }
}
