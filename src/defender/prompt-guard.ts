// prompt_guard: scores text going to the model (a prompt or a tool result) for injection, jailbreak and
// exfiltration. Normalises first, scans every view (folded, leetspeak, spaced letters, tag-smuggled, decoded
// spans, ROT13), and keeps the highest weight per rule group.
import { findEncoded } from './decode.ts';
import { normalize, rot13 } from './normalize.ts';
import { matchRule, tokenize, vocabulary, type Token } from './phrase-match.ts';
import { CJK_OVERRIDE, FORGERY_MARKERS, PROMPT_RULES } from './prompt-rules.ts';
import type { Reason } from './types.ts';

interface View { name: string; text: string; decoded: boolean }

const G = 'prompt_guard' as const;
const VOCAB = vocabulary(PROMPT_RULES);

/** Markdown images or links whose URL carries a query string: the EchoLeak-style exfiltration shape. */
export function findMarkdownExfil(text: string): Reason[] {
  const out: Reason[] = [];
  let close = -1;
  for (let i = text.indexOf(']('); i !== -1 && out.length < 4; i = text.indexOf('](', i + 2)) {
    if (close < i) close = text.indexOf(')', i);
    if (close === -1) break;
    const url = text.slice(i + 2, Math.min(close, i + 2050)).trim();
    const before = text.slice(Math.max(0, i - 300), i);
    const image = before.lastIndexOf('![') > before.lastIndexOf(']');
    if (/^https?:\/\//i.test(url) && url.includes('?') && url.includes('=')) {
      out.push({ guard: G, rule: image ? 'exfil.markdown_image_query' : 'exfil.markdown_link_query', weight: image ? 40 : 15, span: [i, close + 1] });
    }
  }
  return out;
}

function scanView(view: View, tokens: readonly Token[], hits: Map<string, Reason>): void {
  for (const rule of PROMPT_RULES) {
    const span = matchRule(rule, tokens);
    if (!span) continue;
    add(hits, { guard: G, rule: rule.id, weight: rule.weight, span: view.decoded ? undefined : span, detail: view.name === 'text' ? undefined : `via ${view.name}` }, rule.group);
  }
  for (const marker of FORGERY_MARKERS) {
    const at = view.text.indexOf(marker);
    if (at !== -1) { add(hits, { guard: G, rule: 'forgery.chat_template_marker', weight: 40, span: view.decoded ? undefined : [at, at + marker.length], detail: marker }, 'forgery'); break; }
  }
  for (const { verbs, objects } of CJK_OVERRIDE) {
    for (const v of verbs) {
      for (let at = view.text.indexOf(v); at !== -1; at = view.text.indexOf(v, at + v.length)) {
        const around = view.text.slice(Math.max(0, at - 24), at + v.length + 24);
        if (objects.some((o) => around.includes(o))) {
          add(hits, { guard: G, rule: 'override.multilingual', weight: 45, detail: v }, 'override');
          break;
        }
      }
    }
  }
}

function add(hits: Map<string, Reason>, reason: Reason, group: string | undefined): void {
  const key = group ?? reason.rule;
  const prev = hits.get(key);
  if (!prev || prev.weight < reason.weight) hits.set(key, reason);
}

/** A question or an imperative request at a sentence start (bounded, no nested quantifiers). */
const REQUEST_AFTER = /\?|(?:^|[.!:;\n])\s{0,4}(?:q:|can you|could you|would you|will you|please|tell me|give me|show me|write|explain|describe|list|repeat|imagine|translate|decode|what|where|who|when|which|how|why)\b/;

const STOP = new Set('about above after again also anyone anything because before being below between both could does doing during each from further have having here into itself just more most only other over same should some such than that their them then there these they this those through under until very were what when where which while will with would your yours question questions answer topic topics please never tell give share discuss reveal provide help talk mention avoid circumstances matter costs allowed strictly'.split(' '));

/** Stems (first 5 letters) of the content words of a text, bounded. */
function contentStems(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/\p{L}{4,}/gu)) {
    const w = m[0];
    if (!STOP.has(w)) out.add(w.slice(0, 5));
    if (out.size >= 400) break;
  }
  return out;
}

function sentenceStart(text: string, at: number): number {
  const from = Math.max(0, at - 400);
  const i = Math.max(text.lastIndexOf('. ', at), text.lastIndexOf('\n', at), text.lastIndexOf('? ', at), text.lastIndexOf('! ', at));
  return i >= from ? i + 1 : from;
}

/** End of the clause after `at`: the next sentence mark, else about 60 characters on (a word boundary). */
function sentenceEnd(text: string, at: number): number {
  const m = /[.?!\n]/.exec(text.slice(at, at + 400));
  if (m && m.index <= 80) return at + m.index + 1;
  const space = text.indexOf(' ', at + 60);
  return space === -1 ? text.length : space;
}

/** Options: where the text came from (tool results and external content weigh more). */
export interface PromptScanOptions { untrusted?: boolean }

/**
 * Scores text for prompt injection. Returns the reasons (weights not yet capped or overridden).
 * @example scanPrompt('Ignore all previous instructions').some((r) => r.rule.startsWith('override.'))
 */
export function scanPrompt(raw: string, options: PromptScanOptions = {}): Reason[] {
  const n = normalize(raw);
  const reasons: Reason[] = [];
  if (n.tagChars > 0) reasons.push({ guard: G, rule: 'unicode.tag_characters', weight: 45, floor: 'review', detail: `${n.tagChars} tag characters` });
  if (n.bidi > 0) reasons.push({ guard: G, rule: 'unicode.bidi_controls', weight: 20, detail: `${n.bidi} bidi controls` });
  if (n.zeroWidth > 0) reasons.push({ guard: G, rule: 'unicode.zero_width', weight: n.zeroWidth >= 3 ? 15 : 5, detail: `${n.zeroWidth} zero-width characters stripped` });
  if (n.variationSelectors > 4) reasons.push({ guard: G, rule: 'unicode.variation_selectors', weight: 25, detail: `${n.variationSelectors} variation selectors` });
  if (n.homoglyphs > 0) reasons.push({ guard: G, rule: 'unicode.homoglyphs', weight: 15, detail: `${n.homoglyphs} look-alike letters folded` });
  if (n.combiningMarks > 40 && n.combiningMarks > n.text.length / 4) reasons.push({ guard: G, rule: 'unicode.combining_marks', weight: 10 });
  if (raw.length > 32_000) reasons.push({ guard: G, rule: 'size.oversized_payload', weight: 8 });

  const views: View[] = [{ name: 'text', text: n.text, decoded: false }];
  if (n.leet) views.push({ name: 'leetspeak', text: n.leet, decoded: false });
  if (n.collapsed) views.push({ name: 'spaced letters', text: n.collapsed, decoded: false });
  if (n.tagText) views.push({ name: 'tag characters', text: normalize(n.tagText).text, decoded: true });
  const decoded = findEncoded(raw.length > 200_000 ? raw.slice(0, 200_000) : raw);
  for (const d of decoded) {
    views.push({ name: d.encoding, text: normalize(d.text).text, decoded: true });
    // One more level: base64 of hex, URL-encoded base64 and so on.
    for (const d2 of findEncoded(d.text).slice(0, 4)) views.push({ name: `${d.encoding}+${d2.encoding}`, text: normalize(d2.text).text, decoded: true });
  }
  views.push({ name: 'rot13', text: rot13(n.text), decoded: true });

  const hits = new Map<string, Reason>();
  const plain = new Map<string, Reason>();
  for (const view of views) {
    const target = view.name === 'text' ? plain : hits;
    scanView(view, tokenize(view.text, VOCAB), target);
  }
  for (const r of findMarkdownExfil(n.text)) add(plain, r, 'md_exfil');
  if (/\bjavascript:/.test(n.text)) add(plain, { guard: G, rule: 'exfil.javascript_uri', weight: 30 }, 'uri');
  // Hidden-view hits that the plain text did not already show count, and the hiding itself is a signal.
  let hidden = 0;
  for (const [key, r] of hits) {
    const p = plain.get(key);
    if (!p || p.weight < r.weight) { plain.set(key, r); hidden++; }
  }
  if (hidden > 0) reasons.push({ guard: G, rule: 'obfuscation.hidden_instruction', weight: 20, detail: 'instruction found only after decoding or folding' });
  else if (decoded.length > 0) reasons.push({ guard: G, rule: 'obfuscation.encoded_span', weight: 5, detail: decoded.map((d) => d.encoding).join(',') });
  reasons.push(...plain.values());
  const keys = new Set(plain.keys());
  // A text that both states a confidentiality rule and asks for the secret is an extraction attempt.
  if (keys.has('secret') && /\b(?:do not|don'?t|dont|never|not to)\s(?:reveal|share|disclose|tell|give)/.test(n.text)) {
    reasons.push({ guard: G, rule: 'exfil.secret_after_confidentiality', weight: 20 });
  }
  if (keys.has('exfil_creds') && /https?:\/\//.test(n.text)) reasons.push({ guard: G, rule: 'exfil.to_url', weight: 10 });
  // A rule for the assistant ("never discuss X", "do not reveal Y") followed, in the same message, by a
  // request: the shape of a probe that plants a restriction and then pushes against it.
  // The request must come back to what the rule is about (a shared content word), so "don't share this,
  // but can you help me plan a party" stays allowed.
  const rule = plain.get('directive_never');
  if (rule?.span) {
    const clauseEnd = sentenceEnd(n.text, rule.span[1]);
    const after = n.text.slice(clauseEnd, clauseEnd + 4_000);
    // What the rule protects: its own clause and the sentence before it ("The password is X. Don't reveal it").
    const start = sentenceStart(n.text, rule.span[0]);
    const topic = contentStems(n.text.slice(sentenceStart(n.text, Math.max(0, start - 2)), clauseEnd));
    const sameThing = [...contentStems(after)].some((w) => topic.has(w));
    // A rule phrased the way system prompts are (an intensifier, or with the assistant's role or task) counts
    // even when the request only circles around the topic.
    const systemish = rule.rule === 'forgery.directive_never' || keys.has('directive_intensity') || keys.has('directive_role') || keys.has('directive_task');
    if (REQUEST_AFTER.test(after) && (sameThing || systemish)) {
      reasons.push({ guard: G, rule: 'forgery.restriction_then_request', weight: 20, detail: sameThing ? 'a restriction for the assistant, then a request about the same thing' : 'a system-prompt-style restriction, then a request' });
    }
  }
  // A pasted "system prompt": the assistant's role or task redefined together with a rule it must keep.
  if ((keys.has('directive_role') || keys.has('directive_task')) && keys.has('directive_never')) {
    reasons.push({ guard: G, rule: 'forgery.system_prompt_shape', weight: 15, detail: 'role or task definition plus a restriction, inside the message' });
  }
  if (options.untrusted && plain.size > 0) reasons.push({ guard: G, rule: 'context.untrusted_source', weight: 10 });
  return reasons;
}
