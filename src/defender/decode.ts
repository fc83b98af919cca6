// Finds encoded spans (base64, hex, URL-encoding, 8-bit binary) in text and decodes the ones that turn
// into readable text, so the prompt and command guards can scan what the model would read. Linear scans.

/** One decoded span: where it was, how it was encoded and what it says. */
export interface DecodedSpan {
  encoding: 'base64' | 'hex' | 'url' | 'binary';
  span: [number, number];
  text: string;
}

const MIN_B64 = 16;
const MIN_HEX_BYTES = 8;
const MAX_SPANS = 32;
const MAX_DECODED = 64 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function readable(bytes: Uint8Array): string | null {
  let s: string;
  try { s = utf8.decode(bytes); } catch { return null; }
  let good = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c !== 0x7f) || c === 9 || c === 10 || c === 13) good++;
  }
  const letters = (s.match(/\p{L}/gu) ?? []).length;
  return s.length > 0 && good / [...s].length >= 0.9 && letters / [...s].length >= 0.4 ? s : null;
}

function isB64(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 45 || c === 95;
}
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function decodeB64(run: string): Uint8Array | null {
  const std = run.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) return null;
  try {
    const bin = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch { return null; }
}

/**
 * Returns the decodable spans of `text`, at most 32 and 64 KB of decoded text in all.
 * @example findEncoded('aWdub3JlIGFsbCBwcmV2aW91cw==')[0].text === 'ignore all previous'
 */
export function findEncoded(text: string): DecodedSpan[] {
  const out: DecodedSpan[] = [];
  let budget = MAX_DECODED;
  const push = (d: DecodedSpan): void => {
    if (out.length < MAX_SPANS && budget > 0) { out.push(d); budget -= d.text.length; }
  };
  const n = text.length;
  // base64 / base64url runs (also catches long plain hex runs, tried as hex first).
  for (let i = 0; i < n;) {
    if (!isB64(text.charCodeAt(i))) { i++; continue; }
    let j = i;
    while (j < n && isB64(text.charCodeAt(j))) j++;
    let end = j;
    while (end < n && text[end] === '=' && end - j < 2) end++;
    const run = text.slice(i, j);
    if (run.length >= MIN_B64 && /[0-9+/A-Z]/.test(run) && /[a-z]/i.test(run)) {
      const allHex = /^[0-9a-fA-F]+$/.test(run);
      let decoded: string | null = null;
      if (allHex && run.length % 2 === 0) decoded = readable(hexBytes(run));
      if (decoded !== null) push({ encoding: 'hex', span: [i, j], text: decoded });
      else {
        const bytes = decodeB64(run);
        const s = bytes && readable(bytes);
        if (s) push({ encoding: 'base64', span: [i, end], text: s });
      }
    }
    i = end > j ? end : j;
  }
  // Separated hex ("57 68 61", "\x57\x68", "0x57,0x68") and binary octets ("01010111 01101000").
  scanSeparated(text, push);
  // URL-encoding: runs with at least two %XX escapes.
  for (let i = text.indexOf('%'); i !== -1 && i < n; i = text.indexOf('%', i + 1)) {
    let start = i;
    while (start > 0 && !/\s/.test(text[start - 1]!)) start--;
    let j = i;
    let escapes = 0;
    while (j < n && !/\s/.test(text[j]!)) {
      if (text[j] === '%' && hexVal(text.charCodeAt(j + 1)) >= 0 && hexVal(text.charCodeAt(j + 2)) >= 0) { escapes++; j += 3; } else j++;
    }
    if (escapes >= 2) {
      try {
        const s = decodeURIComponent(text.slice(start, j).replace(/\+/g, ' '));
        if (s !== text.slice(start, j)) push({ encoding: 'url', span: [start, j], text: s });
      } catch { /* not valid UTF-8 percent-encoding */ }
    }
    i = j;
  }
  return out;
}

function hexBytes(run: string): Uint8Array {
  const out = new Uint8Array(run.length >> 1);
  for (let k = 0; k < out.length; k++) out[k] = hexVal(run.charCodeAt(2 * k)) * 16 + hexVal(run.charCodeAt(2 * k + 1));
  return out;
}

function scanSeparated(text: string, push: (d: DecodedSpan) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    // binary octets
    if (text[i] === '0' || text[i] === '1') {
      const bytes: number[] = [];
      let j = i;
      while (j + 8 <= n && /^[01]{8}$/.test(text.slice(j, j + 8)) && !/[01]/.test(text[j + 8] ?? '')) {
        bytes.push(parseInt(text.slice(j, j + 8), 2));
        j += 8;
        if (text[j] === ' ' || text[j] === ',') j++; else break;
      }
      if (bytes.length >= 4) {
        const s = readable(Uint8Array.from(bytes));
        if (s) push({ encoding: 'binary', span: [i, j], text: s });
        i = j;
        continue;
      }
    }
    // separated hex pairs
    const bytes: number[] = [];
    let j = i;
    for (;;) {
      let k = j;
      if (text[k] === '\\' && text[k + 1] === 'x') k += 2;
      else if (text[k] === '0' && text[k + 1] === 'x') k += 2;
      const hi = hexVal(text.charCodeAt(k)), lo = hexVal(text.charCodeAt(k + 1));
      if (hi < 0 || lo < 0 || hexVal(text.charCodeAt(k + 2)) >= 0) break;
      bytes.push(hi * 16 + lo);
      j = k + 2;
      if (text[j] === ' ' || text[j] === ':' || text[j] === ',') j++;
      else if (text[j] !== '\\' && !(text[j] === '0' && text[j + 1] === 'x')) break;
    }
    if (bytes.length >= MIN_HEX_BYTES) {
      const s = readable(Uint8Array.from(bytes));
      if (s) push({ encoding: 'hex', span: [i, j], text: s });
      i = j;
    } else i = Math.max(i + 1, j);
  }
}
