// `edgeclaw defender check`: reads JSON Lines {"id","kind","text"} on stdin and writes one JSON line per
// input, in order: {"id","decision","score","reasons"}. A malformed line is reported on stderr with its
// line number, the rest are still processed, and the exit code is 2 at the end.
import { createInterface } from 'node:readline';
import { evaluate, resolvePolicy } from '../../src/defender/index.ts';
import type { DefenderPolicy } from '../../src/defender/index.ts';
import { readFileSync } from 'node:fs';

const KINDS = new Set(['prompt', 'command', 'tool_result', 'url']);
const USAGE = 'usage: edgeclaw defender check [--policy <policy.json>]   (JSON Lines on stdin: {"id","kind":"prompt"|"command"|"tool_result"|"url","text"})';

/** Checks one parsed line; returns the output object or an error message. */
export function checkLine(value: unknown, policy: DefenderPolicy): { out: Record<string, unknown> } | { error: string } {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'expected a JSON object' };
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string' && typeof v.id !== 'number') return { error: 'missing "id" (string or number)' };
  if (typeof v.kind !== 'string' || !KINDS.has(v.kind)) return { error: `"kind" must be one of ${[...KINDS].join(', ')}` };
  if (typeof v.text !== 'string') return { error: 'missing "text" (string)' };
  const d = evaluate({ kind: v.kind as 'prompt', text: v.text }, policy);
  return { out: { id: v.id, decision: d.decision, score: d.score, reasons: d.reasons } };
}

/** Runs `defender <sub>`; resolves to the exit code. */
export async function defenderMain(argv: readonly string[], input: NodeJS.ReadableStream = process.stdin, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'check') { err.write(`${USAGE}\n`); return 2; }
  let policy: DefenderPolicy;
  try {
    const pi = rest.indexOf('--policy');
    policy = resolvePolicy(pi >= 0 ? JSON.parse(readFileSync(rest[pi + 1] ?? '', 'utf8')) : {});
  } catch (e) {
    err.write(`edgeclaw defender: cannot load policy: ${(e as Error).message}\n`);
    return 2;
  }
  let lineNo = 0;
  let bad = 0;
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    lineNo++;
    if (!line.trim()) continue;
    let parsed: unknown;
    try { parsed = JSON.parse(line); } catch (e) {
      bad++;
      err.write(`edgeclaw defender: line ${lineNo}: invalid JSON (${(e as Error).message})\n`);
      continue;
    }
    const r = checkLine(parsed, policy);
    if ('error' in r) { bad++; err.write(`edgeclaw defender: line ${lineNo}: ${r.error}\n`); continue; }
    if (!out.write(`${JSON.stringify(r.out)}\n`)) await new Promise((res) => out.once('drain', res));
  }
  if (bad) err.write(`edgeclaw defender: ${bad} malformed line(s) of ${lineNo}\n`);
  return bad ? 2 : 0;
}
