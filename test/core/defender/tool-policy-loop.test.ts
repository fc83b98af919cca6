// tool_policy (profiles, groups, allow/deny, overlays, elevation) and tool_loop (10/20/30 in a window of 30).
import { describe, expect, it } from 'vitest';
import { checkLoop, createLoopState, evaluate, filterTools, recordLoop, resolvePolicy, toolAllowed } from '../../../src/defender/index.ts';

describe('tool_policy', () => {
  it('restricts tools to the profile', () => {
    expect(toolAllowed('session_status', { profile: 'minimal' }).allowed).toBe(true);
    expect(toolAllowed('exec', { profile: 'minimal' }).allowed).toBe(false);
    expect(filterTools(['read', 'exec', 'message', 'web_fetch', 'browser'], { profile: 'coding' })).toEqual(['read', 'exec', 'web_fetch']);
    expect(filterTools(['read', 'exec', 'message'], { profile: 'messaging' })).toEqual(['message']);
    expect(filterTools(['read', 'exec', 'message'], { profile: 'full' })).toEqual(['read', 'exec', 'message']);
  });

  it('lets a group deny override an explicit allow', () => {
    expect(toolAllowed('write', { allow: ['write', 'read'], deny: ['group:fs'] }).allowed).toBe(false);
  });

  it('matches names case-insensitively, with aliases and wildcards', () => {
    expect(toolAllowed('BASH', { deny: ['exec'] }).allowed).toBe(false);
    expect(toolAllowed('sessions_spawn', { deny: ['sessions_*'] }).allowed).toBe(false);
    expect(toolAllowed('apply_patch', { allow: ['exec'] }).allowed).toBe(true);
  });

  it('applies provider and channel overlays as extra steps', () => {
    const cfg = { profile: 'coding', byProvider: { 'openai/gpt-x': { deny: ['exec'] } }, byChannel: { telegram: { allow: ['read'] } } };
    expect(toolAllowed('exec', cfg, { provider: 'OpenAI', model: 'gpt-x' }).allowed).toBe(false);
    expect(toolAllowed('exec', cfg, { provider: 'anthropic', model: 'c' }).allowed).toBe(true);
    expect(toolAllowed('write', cfg, { channel: 'telegram' })).toEqual({ allowed: false, step: 'channel allow/deny' });
  });

  it('elevates a configured sender without lifting a deny', () => {
    const cfg = { profile: 'messaging', deny: ['process'], elevated: { 'telegram:42': ['exec', 'process'] } };
    expect(toolAllowed('exec', cfg, { sender: 'telegram:42' }).allowed).toBe(true);
    expect(toolAllowed('exec', cfg, { sender: 'telegram:7' }).allowed).toBe(false);
    expect(toolAllowed('process', cfg, { sender: 'telegram:42' }).allowed).toBe(false);
  });
});

describe('tool_loop', () => {
  const policy = resolvePolicy();
  const run = (n: number, outcome: (i: number) => unknown): string[] => {
    const loop = createLoopState();
    const levels: string[] = [];
    for (let i = 0; i < n; i++) {
      levels.push(evaluate({ kind: 'tool_call', tool: 'web_fetch', args: { url: 'https://example.com', q: 1 } }, policy, { loop }).decision);
      recordLoop(loop, 'web_fetch', { q: 1, url: 'https://example.com' }, outcome(i), policy.loop);
    }
    return levels;
  };

  it('warns at 10, blocks at 20 identical calls without progress', () => {
    const levels = run(25, () => ({ status: 200, body: 'same' }));
    expect(levels.indexOf('review')).toBe(9);
    expect(levels.indexOf('block')).toBe(19);
  });

  it('trips the circuit breaker at 30 and keeps only the window', () => {
    const loop = createLoopState();
    let level = 'ok';
    for (let i = 0; i < 40; i++) {
      level = checkLoop(loop, 'exec', { command: 'ls' }, policy.loop).level;
      recordLoop(loop, 'exec', { command: 'ls' }, 'same', policy.loop);
    }
    expect(level).toBe('breaker');
    expect(loop.entries).toHaveLength(30);
  });

  it('does not fire while outcomes change (progress)', () => {
    expect(run(25, (i) => ({ page: i }))).not.toContain('review');
  });

  it('is off when the policy disables it', () => {
    const loop = createLoopState();
    const off = resolvePolicy({ loop: { enabled: false } });
    for (let i = 0; i < 25; i++) recordLoop(loop, 'exec', { command: 'ls' }, 'x', off.loop);
    expect(checkLoop(loop, 'exec', { command: 'ls' }, off.loop).level).toBe('ok');
  });
});
