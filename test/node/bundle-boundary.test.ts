// The lazy boundary of the Node bundle, read from esbuild's metafile (no timing): what `npm start` evaluates
// before the server answers is the entry's static import closure. Features an idle gateway does not use
// (channel drivers, the gateway protocol, bridge, Defender engine, agent, tools, cron, wizard, OAuth flow,
// drizzle) must stay behind dynamic imports, and the closure must stay in few chunks (each chunk is a module
// Node resolves at start; ~45 of them made its path code hot enough for TurboFan, ~5 MB of idle RSS).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundle, staticChunks } from '../../scripts/node-bundle.mjs';
import { CHANNEL_IDS } from '../../src/channels/ids.ts';
import { CHANNEL_DRIVERS } from '../../src/channels/registry.ts';
import { ROOT } from './server-process.ts';

/** Inputs (source modules) that must not be evaluated by an idle server started without a config. */
const LAZY: readonly RegExp[] = [
  /^src\/channels\/registry\.ts$/,
  /^src\/channels\/[a-z]+\/(driver|routes|api|delivery|inbound|gateway|receiver|polling|startup|events|webhook)\.ts$/,
  /^node_modules\/grammy\//,
  /^node_modules\/drizzle-orm\//,
  /^durable\/(gateway-do|session-do|limiter-do|telegram-poller-do)\.ts$/,
  /^src\/gateway\/(methods\/|connection\.ts|rpc-http\.ts|hooks\.ts|openai-http\.ts)/,
  /^src\/bridge\/(index|bridge|connection)\.ts$/,
  /^node-adapter\/bridge-host\.ts$/,
  /^src\/defender\/(index|engine|command-guard|prompt-guard)\.ts$/,
  /^src\/agent\//,
  /^src\/cron\//,
  /^src\/wizard\//,
  /^src\/providers\/oauth-device\.ts$/,
  /^src\/control\/(routes|client|page)\.ts$/,
  /^src\/webchat\//,
  /^src\/storage\/repos\//,
  /^node-adapter\/tools\//,
  /^src\/tools\/(web-fetch|ssrf|host)\.ts$/,
];

/** The built-in locale kept from zod's table (the others are swapped out by the build). */
const ZOD_LOCALE = /^node_modules\/zod\/v4\/locales\/(?!en\.js$)/;

/** Most chunks the entry may load statically (10 today; the resolver went hot at ~45). */
const MAX_STATIC_CHUNKS = 16;

let inputs: Set<string>;
let chunks: Set<string>;
let everything: Set<string>;

beforeAll(async () => {
  const outdir = join(ROOT, 'dist/node');
  const { server } = await buildNodeBundle({ root: ROOT, outdir, sourceHash: 'test' });
  const entry = Object.keys(server.outputs).find((o) => o.endsWith('/server.mjs'))!;
  chunks = staticChunks(server, entry);
  inputs = new Set([...chunks].flatMap((o) => Object.keys(server.outputs[o]!.inputs)));
  everything = new Set(Object.values(server.outputs).flatMap((o) => Object.keys(o.inputs)));
}, 120_000);

describe('Node bundle lazy boundary', () => {
  it('keeps every lazy feature out of the static closure of server.mjs, while still bundling it', () => {
    for (const pattern of LAZY) {
      expect([...everything].some((i) => pattern.test(i)), `${pattern} matches no bundled module (stale pattern?)`).toBe(true);
      expect([...inputs].filter((i) => pattern.test(i)), `${pattern} is loaded at start`).toEqual([]);
    }
  });

  it('starts with the config schema, the app and the Durable Object host (the closure is not empty)', () => {
    for (const core of ['src/config/schema.ts', 'src/app.ts', 'node-adapter/do-host.ts', 'node-adapter/server.ts']) expect(inputs.has(core), core).toBe(true);
  });

  it('ships zod with its English locale only', () => {
    expect([...everything].filter((i) => ZOD_LOCALE.test(i))).toEqual([]);
    expect(everything.has('node_modules/zod/v4/locales/en.js')).toBe(true);
  });

  it(`loads at most ${MAX_STATIC_CHUNKS} chunks before the entry runs`, () => {
    expect(chunks.size).toBeLessThanOrEqual(MAX_STATIC_CHUNKS);
  });

  it('mounts a route family for every driver in the registry (the app mounts by id, without loading drivers)', () => {
    expect(CHANNEL_DRIVERS.map((d) => d.id)).toEqual([...CHANNEL_IDS]);
  });
});
