// Text normalisation for the prompt guard: NFKC, invisible-character stripping (reported), Unicode tag
// decoding, homoglyph and leetspeak folding, spaced-letter collapsing. Every step is one linear pass.

/** What normalisation found and produced. `text` is what the rules read (lowercase, folded). */
export interface Normalized {
  /** Folded, lowercase, marks stripped, invisible characters removed. */
  text: string;
  /** `text` with leetspeak digits folded inside mixed words, or null when nothing changed. */
  leet: string | null;
  /** `text` with runs of spaced single letters joined ("i g n o r e" -> "ignore"), or null. */
  collapsed: string | null;
  /** ASCII smuggled in Unicode tag characters (U+E0020..U+E007E), or null. */
  tagText: string | null;
  zeroWidth: number;
  bidi: number;
  variationSelectors: number;
  tagChars: number;
  homoglyphs: number;
  combiningMarks: number;
}

// Cyrillic and Greek letters that render like Latin ones (Unicode confusables, the common subset).
const HOMOGLYPHS: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ɡ: 'g', ɑ: 'a', ı: 'i',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', ϲ: 'c',
};
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', '$': 's', '!': 'i', '|': 'l' };

function isZeroWidth(c: number): boolean {
  return (c >= 0x200b && c <= 0x200d) || (c >= 0x2060 && c <= 0x2064) || c === 0xfeff || c === 0x180e || c === 0x00ad || c === 0x034f;
}
function isBidi(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e || c === 0x200f || c === 0x061c;
}
function isVariationSelector(c: number): boolean {
  return (c >= 0xfe00 && c <= 0xfe0f) || (c >= 0xe0100 && c <= 0xe01ef);
}
const LATIN = /[a-z]/;
const ASCII = /^[\x09\x0a\x0d\x20-\x7e]*$/;
const LEET_WORD = /[\p{L}\p{N}@$|!]+/gu;
const SPACED_HINT = /(?:^|[\s.\-_*])[\p{L}\p{N}][\s.\-_*][\p{L}\p{N}][\s.\-_*][\p{L}\p{N}][\s.\-_*][\p{L}\p{N}](?![\p{L}\p{N}])/u;

/** Combining marks used for accents and Zalgo on Latin, Greek and Cyrillic (Indic vowel signs are kept). */
export function isStrippableMark(c: number): boolean {
  return (c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) || (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe20 && c <= 0xfe2f);
}

/** Folds a word list entry the way normalize() folds text (accents dropped, lowercase). */
export function foldWord(w: string): string {
  let out = '';
  for (const ch of w.normalize('NFKC').normalize('NFD')) if (!isStrippableMark(ch.codePointAt(0)!)) out += ch;
  return out.normalize('NFC').toLowerCase();
}

/**
 * Normalises text for matching and counts what it removed.
 * @example normalize('ig\u200bnore').text === 'ignore'
 */
export function normalize(raw: string): Normalized {
  // Fast path: printable ASCII needs no Unicode work (no invisible characters, marks or look-alikes).
  if (ASCII.test(raw)) {
    const text = raw.toLowerCase();
    return { text, leet: foldLeet(text), collapsed: collapseSpaced(text), tagText: null, zeroWidth: 0, bidi: 0, variationSelectors: 0, tagChars: 0, homoglyphs: 0, combiningMarks: 0 };
  }
  let zeroWidth = 0, bidi = 0, variationSelectors = 0, tagChars = 0, combiningMarks = 0, homoglyphs = 0;
  let tagText = '';
  let stripped = '';
  for (const ch of raw) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xe0000 && c <= 0xe007f) {
      tagChars++;
      if (c >= 0xe0020 && c <= 0xe007e) tagText += String.fromCharCode(c - 0xe0000);
      continue;
    }
    if (isZeroWidth(c)) { zeroWidth++; continue; }
    if (isBidi(c)) { bidi++; continue; }
    if (isVariationSelector(c)) { variationSelectors++; continue; }
    stripped += ch;
  }
  // NFKC folds full-width and mathematical letters; NFD then lets us drop combining marks (accents, Zalgo).
  const decomposed = stripped.normalize('NFKC').normalize('NFD');
  let noMarks = '';
  for (const ch of decomposed) {
    if (isStrippableMark(ch.codePointAt(0)!)) { combiningMarks++; continue; }
    noMarks += ch;
  }
  // NFC again, so scripts that NFD splits without marks (Hangul syllables → jamo) read as written.
  const lower = noMarks.normalize('NFC').toLowerCase();
  // Fold homoglyphs only inside words that also contain Latin letters (mixed script), so real Cyrillic or
  // Greek text stays as written.
  let text = '';
  let word = '';
  const flush = (): void => {
    if (word && LATIN.test(word)) {
      for (const ch of word) {
        const m = HOMOGLYPHS[ch];
        if (m) { homoglyphs++; text += m; } else text += ch;
      }
    } else text += word;
    word = '';
  };
  for (const ch of lower) {
    if (/\p{L}/u.test(ch)) word += ch;
    else { flush(); text += ch; }
  }
  flush();
  return {
    text,
    leet: foldLeet(text),
    collapsed: collapseSpaced(text),
    tagText: tagText || null,
    zeroWidth, bidi, variationSelectors, tagChars, homoglyphs, combiningMarks,
  };
}

/** Folds leetspeak digits and symbols inside words that mix letters with them ("1gn0r3" -> "ignore"). */
export function foldLeet(text: string): string | null {
  if (!/[0-9@$|!]/.test(text)) return null;
  let changed = false;
  const out = text.replace(LEET_WORD, (w) => {
    let letters = 0, leet = 0;
    for (const ch of w) { if (/\p{L}/u.test(ch)) letters++; else if (LEET[ch]) leet++; }
    if (letters < 2 || leet < 1) return w;
    changed = true;
    let folded = '';
    for (const ch of w) folded += LEET[ch] ?? ch;
    return folded;
  });
  return changed ? out : null;
}

/** Joins runs of at least four single letters separated by one space, dot, dash or underscore. */
export function collapseSpaced(text: string): string | null {
  if (!SPACED_HINT.test(text)) return null;
  let out = '';
  let changed = false;
  let i = 0;
  const isSep = (ch: string | undefined): boolean => ch === ' ' || ch === '.' || ch === '-' || ch === '_' || ch === '*';
  const isLetter = (ch: string | undefined): boolean => ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
  while (i < text.length) {
    // A run: letter sep letter sep letter ... where each letter stands alone.
    let j = i;
    let count = 0;
    while (isLetter(text[j]) && !isLetter(text[j + 1]) && (j === i || isSep(text[j - 1])) && (j === 0 || !isLetter(text[j - 1]))) {
      count++;
      if (isSep(text[j + 1]) && isLetter(text[j + 2])) j += 2;
      else { j++; break; }
    }
    if (count >= 4) {
      let run = '';
      for (let k = i; k < j; k++) if (isLetter(text[k])) run += text[k];
      // Keep a word gap where the original had two or more separators (a double space between words).
      out += run + ' ';
      changed = true;
      i = j;
      while (isSep(text[i])) i++;
    } else {
      out += text[i];
      i++;
    }
  }
  return changed ? out : null;
}

/** ROT13 of the ASCII letters (other characters unchanged). */
export function rot13(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 97 && c <= 122) out += String.fromCharCode(((c - 97 + 13) % 26) + 97);
    else if (c >= 65 && c <= 90) out += String.fromCharCode(((c - 65 + 13) % 26) + 65);
    else out += text[i];
  }
  return out;
}
