// Memory does not grow with the number of sessions ever seen (Node): after touching many more sessions than
// `durableObjects.maxActive`, every in-memory registry the host reports in /metrics is within its cap, and a
// session that was evicted still works: its history is intact and a delayed item queued before its eviction
// is drained by its alarm, which reopens it from SQLite.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_TOKEN } from '../contract/constants.ts';
import { parsePrometheusText } from '../core/prom-text.ts';
import { spawnServer, tempDir, type ServerProcess } from './server-process.ts';

const MAX_ACTIVE = 8;
const TOUCHED = 48;
const dir = tempDir();
let server: ServerProcess;
const auth = { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' };

beforeAll(async () => {
  server = await spawnServer({
    PORT: '0',
    EDGECLAW_DATA_DIR: join(dir.path, 'data'),
    EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN,
    EDGECLAW_DO_MAX_ACTIVE: String(MAX_ACTIVE),
    EDGECLAW_LOG_LEVEL: 'debug',
  });
});
afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  dir.cleanup();
});

/** The host's object key of a session, as the host logs it (`SESSIONS/<sha256 of binding NUL name>`). */
const objectKey = (session: string) => `SESSIONS/${createHash('sha256').update(`SESSIONS\0${session}`).digest('hex')}`;

async function enqueue(session: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${server.url}/sessions/${session}/queue`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(202);
}

async function historyTexts(session: string): Promise<string[]> {
  const res = await fetch(`${server.url}/sessions/${session}/history?limit=1000`, { headers: auth });
  expect(res.status).toBe(200);
  return ((await res.json()) as { history: { role: string; text: string }[] }).history.map((e) => `${e.role}:${e.text}`);
}

async function registries(): Promise<Map<string, { size: number; cap: number | undefined }>> {
  const res = await fetch(`${server.url}/metrics`, { headers: auth });
  expect(res.status).toBe(200);
  const families = parsePrometheusText(await res.text());
  const caps = new Map((families.get('edgeclaw_host_registry_capacity')?.samples ?? []).map((s) => [s.labels.registry!, s.value]));
  return new Map((families.get('edgeclaw_host_registry_entries')?.samples ?? []).map((s) => [s.labels.registry!, { size: s.value, cap: caps.get(s.labels.registry!) }]));
}

/** Log records of the server (JSON lines on stdout), in order. */
function logRecords(): { msg?: string; key?: string }[] {
  return server.stdout().split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try {
      return [JSON.parse(l) as { msg?: string; key?: string }];
    } catch {
      return [];
    }
  });
}

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('memory bounded by configuration, not by sessions ever seen (Node host)', () => {
  it('keeps every host registry within its cap after touching many more sessions than maxActive; evicted sessions still work', async () => {
    const first = 'agent:main:mem:first';
    const delayed = 'agent:main:mem:delayed';
    await enqueue(first, { text: 'kept', id: 'first-1' });
    await until('the first turn', () => historyTexts(first), (h) => h.includes('user:kept'));
    const before = await historyTexts(first);
    // Due a little later: by then the object has been evicted, so only its persisted alarm can bring it back.
    await enqueue(delayed, { text: 'later', id: 'delayed-1', delayMs: 5_000 });

    for (let i = 0; i < TOUCHED; i += 8) {
      await Promise.all(Array.from({ length: 8 }, (_, j) => enqueue(`agent:main:mem:s${i + j}`, { text: `t${i + j}`, id: `s${i + j}` })));
    }
    // The host evicted both sessions (LRU) while 48 others came and went.
    const evictedAt = (key: string) => logRecords().findIndex((r) => r.msg === 'evicting durable object' && r.key === key);
    expect(evictedAt(objectKey(first))).toBeGreaterThanOrEqual(0);
    const delayedEvicted = await until('the delayed session to be evicted', async () => evictedAt(objectKey(delayed)), (i) => i >= 0);
    // Nothing else touches it: the next open is its alarm waking it to drain the delayed item.
    await until('the delayed session to be reopened by its alarm', async () => logRecords().some((r, i) => i > delayedEvicted && r.msg === 'opening durable object' && r.key === objectKey(delayed)), Boolean);
    await until('the delayed item to be drained', () => historyTexts(delayed), (h) => h.includes('user:later'));

    // Every touched session is drained, so no object stays busy and the LRU cap holds.
    for (let i = 0; i < TOUCHED; i++) await until(`session s${i}`, () => historyTexts(`agent:main:mem:s${i}`), (h) => h.includes(`user:t${i}`));
    const regs = await until('resident objects within maxActive', registries, (r) => (r.get('do.resident')?.size ?? Infinity) <= MAX_ACTIVE);
    expect(regs.get('do.resident')).toEqual({ size: expect.any(Number), cap: MAX_ACTIVE });
    for (const name of ['do.alarms.running', 'do.waitUntil', 'do.sql.statements', 'do.sockets']) expect(regs.has(name), name).toBe(true);
    for (const [name, { size, cap }] of regs) {
      if (cap !== undefined) expect(size, `${name} within its cap`).toBeLessThanOrEqual(cap);
    }
    // The statement caches follow the resident objects, not the sessions seen.
    expect(regs.get('do.sql.statements')!.cap).toBeLessThanOrEqual(MAX_ACTIVE * 144);

    // The evicted session reopens from SQLite with its history intact, and takes new work.
    expect(await historyTexts(first)).toEqual(before);
    await enqueue(first, { text: 'again', id: 'first-2' });
    await until('the second turn', () => historyTexts(first), (h) => h.includes('user:again'));
    expect((await historyTexts(first)).slice(0, before.length)).toEqual(before);
  }, 120_000);
});
