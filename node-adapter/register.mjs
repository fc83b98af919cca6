// Node module hook: resolves `cloudflare:workers` to the adapter's implementation, so durable/ loads
// unchanged on Node. Used as `node --import ./node-adapter/register.mjs ...` (npm start).
import { registerHooks } from 'node:module';

const target = new URL('./cf-workers.mjs', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'cloudflare:workers') return { url: target, shortCircuit: true };
    return nextResolve(specifier, context);
  },
});
