// Evaluates the defender on the labelled corpora in test/fixtures/defender/*.jsonl and prints, per kind
// and split, N, recall on malicious, false-positive rate on benign, precision and F1 (positive = not allow).
// Split: FNV-1a of the text, even = dev (rules may be studied against it), odd = held-out (never tuned on).
// Rows are also grouped by origin: public corpora vs our own adversarial sets (written after the rules).
// Usage: npm run eval:defender [-- --misses dev] [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate } from '../src/defender/index.ts';

const DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'defender');
const args = process.argv.slice(2);
const showMisses = args.includes('--misses') ? (args[args.indexOf('--misses') + 1] ?? 'dev') : null;

/** FNV-1a 32-bit of a string (the split is stable across machines and runs). */
export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
  return h;
}

const rows = readdirSync(DIR).filter((f) => f.endsWith('.jsonl')).sort().flatMap((f) =>
  readFileSync(join(DIR, f), 'utf8').split('\n').filter(Boolean).map((l) => ({ ...JSON.parse(l), file: f })));

const stats = new Map();
const misses = [];
for (const r of rows) {
  const split = fnv1a(r.text) % 2 === 0 ? 'dev' : 'held-out';
  const d = evaluate({ kind: r.kind, text: r.text });
  const flagged = d.decision !== 'allow';
  const origin = String(r.source ?? '').startsWith('edgeclaw:') ? 'own' : 'public';
  for (const key of [`${r.kind}|${split}`, `${r.kind}|all`, `${r.kind}|${origin}`, `${r.kind}|${origin}-${split}`]) {
    const s = stats.get(key) ?? { tp: 0, fn: 0, fp: 0, tn: 0, block: 0, mal: 0 };
    if (r.label === 'malicious') { s.mal++; if (flagged) s.tp++; else s.fn++; if (d.decision === 'block') s.block++; }
    else if (flagged) s.fp++; else s.tn++;
    stats.set(key, s);
  }
  if (showMisses && (showMisses === 'all' || split === showMisses) && flagged !== (r.label === 'malicious')) {
    misses.push(`${r.label === 'malicious' ? 'FN' : 'FP'} ${d.decision}/${d.score} [${r.source ?? r.file}] ${JSON.stringify(r.text.slice(0, 160))} ${d.reasons.map((x) => x.rule).join(',')}`);
  }
}

const pct = (x) => (Number.isFinite(x) ? (100 * x).toFixed(1).padStart(5) + '%' : '   n/a');
const out = [];
console.log('kind         split           N(mal/ben)   recall  FP-rate  precision   F1     block-rate(mal)');
for (const [key, s] of [...stats].sort()) {
  const [kind, split] = key.split('|');
  const recall = s.tp / (s.tp + s.fn), fpr = s.fp / (s.fp + s.tn), precision = s.tp / (s.tp + s.fp);
  const f1 = (2 * precision * recall) / (precision + recall);
  out.push({ kind, split, malicious: s.tp + s.fn, benign: s.fp + s.tn, recall, fpr, precision, f1 });
  console.log(`${kind.padEnd(12)} ${split.padEnd(15)} ${String(s.tp + s.fn).padStart(5)}/${String(s.fp + s.tn).padEnd(5)}  ${pct(recall)}  ${pct(fpr)}   ${pct(precision)}   ${pct(f1)}   ${pct(s.block / s.mal)}`);
}
if (args.includes('--json')) console.log(JSON.stringify(out));
if (misses.length) console.log('\n' + misses.join('\n'));
