/**
 * The README's configuration reference, rendered from the one config schema: every key with its env var,
 * start flag, default, accepted values and description. `npm run docs:config` writes it between the
 * `<!-- config:begin -->` and `<!-- config:end -->` markers; a test fails when the README is stale.
 */
import { z } from 'zod';
import { ConfigSchema, ENV_OVERRIDES } from './schema.ts';

/** The README markers around the generated table. */
export const REFERENCE_BEGIN = '<!-- config:begin -->';
export const REFERENCE_END = '<!-- config:end -->';

/** One documented key. */
export interface ReferenceRow {
  key: string;
  env: string | null;
  flag: string | null;
  default: unknown;
  values: string;
  description: string | undefined;
}

/** A JSON Schema node, as far as the reference reads it. */
interface Node {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Node>;
  additionalProperties?: boolean | Node;
  items?: Node;
  enum?: unknown[];
  anyOf?: Node[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
}

function valuesOf(n: Node): string {
  if (n.enum) return n.enum.map((v) => `\`${String(v)}\``).join(', ');
  if (n.anyOf) {
    const parts = n.anyOf.map(valuesOf);
    // `true`/`false` given as a boolean or as its string form from an env var.
    if (n.anyOf.some((a) => a.type === 'boolean')) return 'boolean';
    return [...new Set(parts)].join(' or ');
  }
  switch (n.type) {
    case 'integer':
      return n.minimum !== undefined && n.maximum !== undefined ? `integer ${n.minimum}–${n.maximum}` : 'integer';
    case 'boolean':
      return 'boolean';
    case 'string':
      return n.format === 'uri' ? 'URL' : n.minLength ? `string (≥ ${n.minLength} chars)` : 'string';
    case 'array':
      return `list${n.maxItems !== undefined ? ` (≤ ${n.maxItems})` : ''}`;
    case 'object':
      return 'object';
    default:
      return 'any';
  }
}

function defaultAt(path: readonly string[]): unknown {
  let cur: unknown = ConfigSchema.parse({});
  for (const p of path) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  return cur;
}

/**
 * Every documented key: objects without a description of their own are expanded into their properties;
 * anything else (a leaf, a list, a map, or a section documented as a whole) is one row.
 * @example referenceRows({ EDGECLAW_CONFIG: '--config' }).find((r) => r.key === 'port')?.env === 'PORT'
 */
export function referenceRows(flags: Readonly<Record<string, string>> = {}): ReferenceRow[] {
  // SAFETY: toJSONSchema returns a JSON Schema object; only the members of Node are read.
  const root = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as unknown as Node;
  const envOf = new Map<string, string>(Object.entries(ENV_OVERRIDES).map(([env, path]) => [path, env]));
  const rows: ReferenceRow[] = [];
  const walk = (node: Node, path: string[]) => {
    const expandable = node.type === 'object' && node.properties && Object.keys(node.properties).length > 0 && !node.description;
    if (path.length > 0 && !expandable) {
      const key = path.join('.');
      const env = envOf.get(key) ?? null;
      rows.push({ key, env, flag: env ? (flags[env] ?? null) : null, default: defaultAt(path), values: valuesOf(node), description: node.description });
      return;
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, [...path, name]);
  };
  walk(root, []);
  return rows;
}

function showDefault(v: unknown): string {
  if (v === undefined) return '(none)';
  if (typeof v === 'string') return v === '' ? '(empty)' : v.length > 40 ? `\`${v.slice(0, 37)}…\`` : `\`${v}\``;
  const json = JSON.stringify(v);
  return json.length > 40 ? '(see description)' : `\`${json}\``;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The Markdown table (without the markers).
 * @example renderConfigReference({ PORT: '--port' }).startsWith('| key |')
 */
export function renderConfigReference(flags: Readonly<Record<string, string>> = {}): string {
  const lines = ['| key | env | flag | default | values | meaning |', '|---|---|---|---|---|---|'];
  for (const r of referenceRows(flags)) {
    lines.push(`| \`${r.key}\` | ${r.env ? `\`${r.env}\`` : ''} | ${r.flag ? `\`${r.flag}\`` : ''} | ${cell(showDefault(r.default))} | ${cell(r.values)} | ${cell(r.description ?? '')} |`);
  }
  return lines.join('\n');
}

/**
 * `readme` with the region between the markers replaced by `table`; throws when the markers are missing.
 * @example replaceReferenceRegion(readme, renderConfigReference(flags))
 */
export function replaceReferenceRegion(readme: string, table: string): string {
  const begin = readme.indexOf(REFERENCE_BEGIN);
  const end = readme.indexOf(REFERENCE_END);
  if (begin < 0 || end < begin) throw new Error(`README has no ${REFERENCE_BEGIN} … ${REFERENCE_END} region`);
  return `${readme.slice(0, begin + REFERENCE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
