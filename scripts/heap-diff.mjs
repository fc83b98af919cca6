// `node scripts/heap-diff.mjs A.heapsnapshot B.heapsnapshot`: reachable heap of two V8 heap snapshots (a snapshot
// collects garbage first) and the object kinds that grew most from A to B, by count and bytes. Used with
// `HEAPSNAP=<dir> npm run bench:sessions` to check that nothing is retained per session ever seen.
import { readFileSync } from 'node:fs';

/** Totals and per-kind (type:name) counts and bytes of one snapshot. */
function load(file) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const m = s.snapshot.meta;
  const nf = m.node_fields.length;
  const types = m.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => m.node_fields.indexOf(f));
  const kinds = new Map();
  let bytes = 0;
  for (let i = 0; i < s.nodes.length; i += nf) {
    const type = types[s.nodes[i + ti]];
    const key = `${type}:${type === 'string' ? '' : s.strings[s.nodes[i + ni]].slice(0, 60)}`;
    const k = kinds.get(key) ?? { n: 0, bytes: 0 };
    k.n++;
    k.bytes += s.nodes[i + si];
    bytes += s.nodes[i + si];
    kinds.set(key, k);
  }
  return { kinds, bytes, nodes: s.nodes.length / nf };
}

const [fa, fb] = process.argv.slice(2);
if (!fa || !fb) {
  console.error('usage: node scripts/heap-diff.mjs A.heapsnapshot B.heapsnapshot');
  process.exit(2);
}
const a = load(fa);
const b = load(fb);
console.log(`reachable heap: ${(a.bytes / 1048576).toFixed(1)} MB (${a.nodes} objects) → ${(b.bytes / 1048576).toFixed(1)} MB (${b.nodes} objects)`);
const growth = [...b.kinds].map(([key, k]) => ({ key, n: k.n - (a.kinds.get(key)?.n ?? 0), bytes: k.bytes - (a.kinds.get(key)?.bytes ?? 0) })).sort((x, y) => y.bytes - x.bytes).slice(0, Number(process.env.TOP ?? 25));
for (const g of growth) console.log(`${String(g.n).padStart(8)} ${(g.bytes / 1024).toFixed(0).padStart(7)} KiB  ${g.key}`);
