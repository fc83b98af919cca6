// The agent's gateway tools at their limits: memory notes are capped per agent and per value (a new key
// past the cap is refused, replacing one is fine), sessions_send refuses itself, bad keys and the per-run cap.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/gateway/memory-store.ts';
import { createSessionsSendTool, MEMORY_MAX_KEYS, MEMORY_MAX_VALUE_CHARS, SESSIONS_SEND_PER_RUN } from '../../../src/tools/agent-tools.ts';
import { NodeSqlStorage } from '../../../node-adapter/sql-storage.ts';
import { openDatabase } from '../../../node-adapter/sqlite.ts';

describe('memory store', () => {
  it('caps the number of notes per agent and the size of each; other agents are separate', () => {
    const store = new MemoryStore(new NodeSqlStorage(openDatabase(':memory:')));
    store.migrate();
    for (let i = 0; i < MEMORY_MAX_KEYS; i++) expect(store.set('main', `k${i}`, 'v')).toEqual({ ok: true });
    expect(store.set('main', 'one-more', 'v')).toEqual({ ok: false, error: `memory is full (${MEMORY_MAX_KEYS} notes); delete one first` });
    expect(store.set('main', 'k0', 'replaced')).toEqual({ ok: true });
    expect(store.get('main', 'k0')).toBe('replaced');
    expect(store.set('other', 'k0', 'theirs')).toEqual({ ok: true });
    expect(store.set('main', 'k1', 'x'.repeat(MEMORY_MAX_VALUE_CHARS + 1)).ok).toBe(false);
    expect(store.delete('main', 'k1')).toBe(true);
    expect(store.set('main', 'one-more', 'v')).toEqual({ ok: true });
    expect(store.list('main')).toHaveLength(MEMORY_MAX_KEYS);
    expect(store.get('other', 'k0')).toBe('theirs');
  });
});

describe('sessions_send', () => {
  const ctx = (callId: string) => ({ signal: new AbortController().signal, callId });
  it('queues with a per-call key, refuses itself, bad keys and more than the per-run cap', async () => {
    const seen: Array<{ key: string; text: string; k: string }> = [];
    const tool = createSessionsSendTool({ from: 'agent:main:main', runId: 'r1', port: { enqueue: async (key, i) => (seen.push({ key, text: i.text, k: i.key }), { status: 'queued', runId: i.key }) } });
    await expect(tool.run({ sessionKey: 'agent:main:main', message: 'hi' }, ctx('c0'))).rejects.toThrow('a session cannot message itself');
    await expect(tool.run({ sessionKey: 'not a key', message: 'hi' }, ctx('c0'))).rejects.toThrow(/^sessionKey: /);
    for (let i = 0; i < SESSIONS_SEND_PER_RUN; i++) await tool.run({ sessionKey: 'agent:main:inbox', message: `m${i}` }, ctx(`c${i}`));
    await expect(tool.run({ sessionKey: 'agent:main:inbox', message: 'again' }, ctx('cx'))).rejects.toThrow(`at most ${SESSIONS_SEND_PER_RUN} sessions_send calls per run`);
    expect(seen.map((s) => s.k)).toEqual(Array.from({ length: SESSIONS_SEND_PER_RUN }, (_, i) => `sessions_send:r1:c${i}`));
    expect(seen[0]!.text).toBe('[message from session agent:main:main]\nm0');
  });

  it('reports a session that refused the message', async () => {
    const tool = createSessionsSendTool({ from: 'agent:main:a', runId: 'r', port: { enqueue: async () => ({ status: 'rejected', reason: 'queue full' }) } });
    await expect(tool.run({ sessionKey: 'agent:main:b', message: 'hi' }, ctx('c'))).rejects.toThrow('not queued: queue full');
  });
});

describe('message and cron tools', () => {
  const ctx = (callId: string) => ({ signal: new AbortController().signal, callId });
  it('message sends with the run and call as idempotency key, at most MESSAGE_PER_RUN per run', async () => {
    const { createMessageTool, MESSAGE_PER_RUN } = await import('../../../src/tools/agent-tools.ts');
    const keys: string[] = [];
    const tool = createMessageTool({ runId: 'r9', port: { send: async (p) => (keys.push(p.idempotencyKey), { runId: p.idempotencyKey, status: 'ok', channel: p.channel ?? 'telegram', to: p.to, chunks: 1 }) } });
    for (let i = 0; i < MESSAGE_PER_RUN; i++) expect(await tool.run({ channel: 'telegram', to: '1', text: 'hi' }, ctx(`c${i}`))).toMatchObject({ ok: true, chunks: 1 });
    await expect(tool.run({ channel: 'telegram', to: '1', text: 'hi' }, ctx('cx'))).rejects.toThrow(`at most ${MESSAGE_PER_RUN} messages per run`);
    expect(keys[0]).toBe('message:r9:c0');
  });

  it('cron only shows and removes jobs of its own session', async () => {
    const { createCronTool } = await import('../../../src/tools/agent-tools.ts');
    const jobs: Array<Record<string, unknown>> = [{ id: 'other', name: 'x', sessionTarget: 'session:agent:main:other', schedule: { kind: 'every', everyMs: 1000 } }];
    const tool = createCronTool({
      sessionKey: 'agent:main:me',
      agentId: 'main',
      port: {
        add: async (spec) => { const j = { ...spec, id: `j${jobs.length}` }; jobs.push(j); return j as never; },
        list: async () => jobs as never,
        remove: async (id) => jobs.splice(jobs.findIndex((j) => j.id === id), 1).length === 1,
      },
    });
    const added = (await tool.run({ action: 'add', name: 'n', schedule: { kind: 'every', everyMs: 60_000 }, message: 'ping' }, ctx('a'))) as { id: string };
    expect(jobs.at(-1)).toMatchObject({ sessionTarget: 'session:agent:main:me', payload: { kind: 'agentTurn', message: 'ping' } });
    expect(((await tool.run({ action: 'list' }, ctx('l'))) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual([added.id]);
    await expect(tool.run({ action: 'remove', id: 'other' }, ctx('r'))).rejects.toThrow('no job other in this conversation');
    expect(await tool.run({ action: 'remove', id: added.id }, ctx('r2'))).toEqual({ ok: true, removed: true });
  });
});
