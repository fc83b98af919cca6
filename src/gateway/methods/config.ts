/**
 * Config methods (all admin: `config.*` is a reserved prefix): config.get (secrets redacted, plus the
 * hash to quote), config.schema (JSON Schema of the one zod schema), config.schema.lookup, and
 * config.patch / config.set (baseHash required; see src/gateway/config-service.ts).
 */
import { z } from 'zod';
import { GatewayError } from '../../errors.ts';
import { ConfigSchema } from '../../config/schema.ts';
import { HOT_PREFIXES } from '../../config/store.ts';
import { EDGECLAW_VERSION } from '../../version.ts';
import { defineMethod } from '../registry.ts';

type JsonSchema = { type?: unknown; properties?: Record<string, JsonSchema>; items?: JsonSchema; [k: string]: unknown };

let cached: { schema: JsonSchema; generatedAt: number } | null = null;

/** The JSON Schema of the config file (input side: what a file may contain), built once. */
export function configJsonSchema(): { schema: JsonSchema; generatedAt: number } {
  cached ??= { schema: z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, generatedAt: Date.now() };
  return cached;
}

const BaseHash = z.string({ error: 'required: the hash from config.get' }).regex(/^[0-9a-f]{64}$/, 'expected the 64-hex hash from config.get');
const Raw = z.string().min(2).max(1024 * 1024);

/** `config.get`. */
export const configGet = defineMethod({
  name: 'config.get',
  scope: 'operator.admin',
  params: z.looseObject({}),
  handler: (ctx) => ctx.hub.configGet(),
});

/** `config.schema`. */
export const configSchema = defineMethod({
  name: 'config.schema',
  scope: 'operator.admin',
  params: z.looseObject({}),
  async handler() {
    const { schema, generatedAt } = configJsonSchema();
    return { schema, uiHints: { hotKeys: HOT_PREFIXES }, version: EDGECLAW_VERSION, generatedAt };
  },
});

/** `config.schema.lookup`: one node of the schema and its immediate children. */
export const configSchemaLookup = defineMethod({
  name: 'config.schema.lookup',
  scope: 'operator.admin',
  params: z.looseObject({ path: z.string().max(256) }),
  async handler(_ctx, p) {
    let node: JsonSchema | undefined = configJsonSchema().schema;
    const parts = p.path === '' ? [] : p.path.split('.');
    for (const part of parts) node = /^\d+$/.test(part) ? node?.items : node?.properties && Object.hasOwn(node.properties, part) ? node.properties[part] : undefined;
    if (!node) throw new GatewayError('INVALID_REQUEST', 'config schema path not found', { details: { path: p.path } });
    const { properties, items, ...rest } = node;
    const children = Object.entries(properties ?? {}).map(([key, child]) => ({ key, path: p.path ? `${p.path}.${key}` : key, type: child.type ?? null, ...(child.description ? { description: child.description } : {}) }));
    return { path: p.path, schema: { ...rest, ...(items ? { items } : {}) }, children };
  },
});

/** `config.patch`: a JSON5 merge patch (objects merge, null deletes). */
export const configPatch = defineMethod({
  name: 'config.patch',
  scope: 'operator.admin',
  params: z.looseObject({ raw: Raw, baseHash: BaseHash, note: z.string().max(500).optional() }),
  handler: (ctx, p) => ctx.hub.configWrite('patch', p.raw, p.baseHash),
});

/** `config.set`: replaces the whole stored config. */
export const configSet = defineMethod({
  name: 'config.set',
  scope: 'operator.admin',
  params: z.looseObject({ raw: Raw, baseHash: BaseHash }),
  handler: (ctx, p) => ctx.hub.configWrite('set', p.raw, p.baseHash),
});

/** Every config method. */
export const CONFIG_METHODS = [configGet, configSchema, configSchemaLookup, configPatch, configSet];
