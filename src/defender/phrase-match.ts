// A small linear-time phrase matcher over word tokens: a rule is a sequence of word sets, each next set
// within a bounded number of words of the previous one. No regular expressions, so no backtracking.
import { foldWord } from './normalize.ts';

/** One word of normalised text with its offsets and its position among all words of the text. */
export interface Token { w: string; start: number; end: number; i: number }

/** A set of words; an entry ending in `*` matches by prefix. */
export interface WordSet { exact: ReadonlySet<string>; prefixes: readonly string[] }

/** A phrase rule: sets in order, each within `gap` words after the previous match. */
export interface PhraseRule {
  id: string;
  weight: number;
  /** Rules sharing a group add only their highest weight. */
  group?: string;
  seq: readonly WordSet[];
  gap: number;
}

/** Builds a WordSet from a space-separated list. */
export function words(list: string): WordSet {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of list.split(/\s+/)) {
    const w = foldWord(raw);
    if (!w) continue;
    if (w.endsWith('*')) prefixes.push(w.slice(0, -1)); else exact.add(w);
  }
  return { exact, prefixes };
}

function inSet(set: WordSet, w: string): boolean {
  if (set.exact.has(w)) return true;
  for (const p of set.prefixes) if (w.startsWith(p)) return true;
  return false;
}

const TOKEN = /[\p{L}\p{N}_]+(?:['’][\p{L}]+)*/gu;
const MAX_TOKENS = 200_000;

/** The words any of `rules` can match: tokens outside it are skipped (kept only as positions). */
export function vocabulary(rules: readonly PhraseRule[]): WordSet {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const r of rules) for (const set of r.seq) { for (const w of set.exact) exact.add(w); prefixes.push(...set.prefixes); }
  return { exact, prefixes };
}

/**
 * Splits normalised text into word tokens (apostrophes inside a word are dropped: "don't" -> "dont").
 * With a vocabulary, only tokens in it are returned (their `i` still counts every word), which keeps the
 * rule scan proportional to the interesting words, not to the text.
 */
export function tokenize(text: string, vocab?: WordSet): Token[] {
  const out: Token[] = [];
  let i = 0;
  for (const m of text.matchAll(TOKEN)) {
    const w = m[0].includes("'") || m[0].includes('’') ? m[0].replace(/['’]/g, '') : m[0];
    if (!vocab || inSet(vocab, w)) out.push({ w, start: m.index, end: m.index + m[0].length, i });
    if (++i >= MAX_TOKENS) break;
  }
  return out;
}

function matchFrom(rule: PhraseRule, tokens: readonly Token[], k: number, from: number, prevPos: number): number {
  if (k === rule.seq.length) return from - 1;
  const set = rule.seq[k]!;
  for (let j = from; j < tokens.length && tokens[j]!.i - prevPos - 1 <= rule.gap; j++) {
    if (inSet(set, tokens[j]!.w)) {
      const end = matchFrom(rule, tokens, k + 1, j + 1, tokens[j]!.i);
      if (end >= 0) return end;
    }
  }
  return -1;
}

/** First match of a rule: the [start, end) character span, or null. Cost: O(tokens * gap^(len-1)). */
export function matchRule(rule: PhraseRule, tokens: readonly Token[]): [number, number] | null {
  const first = rule.seq[0]!;
  for (let i = 0; i < tokens.length; i++) {
    if (!inSet(first, tokens[i]!.w)) continue;
    const end = matchFrom(rule, tokens, 1, i + 1, tokens[i]!.i);
    if (end >= 0) return [tokens[i]!.start, tokens[end]!.end];
  }
  return null;
}
