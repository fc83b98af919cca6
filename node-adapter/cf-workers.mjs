// What `import ... from 'cloudflare:workers'` resolves to on Node (see register.mjs and vitest.config.ts).
// Only the base classes edgeclaw's durable/ code extends; the host supplies ctx and env.

/** Base class of Durable Objects: keeps the state and env the host constructs it with. */
export class DurableObject {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}

/** Base class of RPC entrypoints (for parity with workerd; unused by the Node host). */
export class WorkerEntrypoint {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
  }
}
