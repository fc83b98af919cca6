// Node `exec` tool: `sh -c <command>` in the workspace, in its own process group so a timeout or abort
// kills everything it started; combined output capped; a minimal env so provider keys do not leak.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/types.ts';
import { WorkspaceJail } from './jail.ts';

/** Limits of the exec tool. */
export interface ExecLimits {
  /** Default and maximum run time. Defaults 30 s and 10 min. */
  timeoutMs: number;
  maxTimeoutMs: number;
  /** Bytes of stdout+stderr kept; the rest is counted and dropped. Default 64 KiB. */
  maxOutputBytes: number;
  /** Env vars passed through (everything else is dropped). */
  passEnv: readonly string[];
}

const DEFAULTS: ExecLimits = { timeoutMs: 30_000, maxTimeoutMs: 600_000, maxOutputBytes: 64 * 1024, passEnv: ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TERM'] };

/** The result of one command. */
export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  output: string;
  droppedBytes: number;
}

/** Runs one shell command in `cwd` with the limits; kills the process group on timeout or abort. */
export function runCommand(command: string, cwd: string, opts: { timeoutMs: number; maxOutputBytes: number; env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let kept = 0;
    let dropped = 0;
    let timedOut = false;
    let aborted = false;
    const killGroup = () => {
      try {
        // Negative pid = the whole group (detached made the child a group leader).
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onData = (b: Buffer) => {
      const room = opts.maxOutputBytes - kept;
      if (room > 0) chunks.push(b.subarray(0, room));
      kept += Math.min(room > 0 ? room : 0, b.length);
      dropped += Math.max(0, b.length - Math.max(room, 0));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      killGroup();
    };
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      // The shell may exit while its children still hold the group: make sure they go too.
      killGroup();
      resolve({ exitCode, signal, timedOut, aborted, output: Buffer.concat(chunks).toString('utf8'), droppedBytes: dropped });
    });
  });
}

/**
 * The exec tool over a workspace directory. Commands should pass the defender's command guard first
 * (the agent loop checks every tool call before it runs).
 * @example createExecTool('/srv/edgeclaw/workspace', { timeoutMs: 10_000 })
 */
export function createExecTool(workspace: string, limits: Partial<ExecLimits> = {}): ToolDefinition {
  const lim = { ...DEFAULTS, ...limits };
  const jail = new WorkspaceJail(workspace);
  const env: NodeJS.ProcessEnv = Object.fromEntries(lim.passEnv.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  return defineTool({
    name: 'exec',
    description: 'Run a shell command (sh -c) in the workspace directory; returns exit code and combined output (time- and size-limited).',
    parameters: z.strictObject({
      command: z.string().min(1).max(16_384),
      cwd: z.string().max(4096).optional().describe('Directory relative to the workspace'),
      timeoutMs: z.number().int().min(100).max(lim.maxTimeoutMs).optional(),
    }),
    requires: ['exec'],
    async run(args, ctx) {
      const cwd = args.cwd ? jail.resolve(args.cwd) : jail.root;
      const r = await runCommand(args.command, cwd, { timeoutMs: args.timeoutMs ?? lim.timeoutMs, maxOutputBytes: lim.maxOutputBytes, env: { ...env, PWD: cwd }, signal: ctx.signal });
      if (r.aborted) throw new Error('aborted');
      const status = r.timedOut ? `timed out after ${args.timeoutMs ?? lim.timeoutMs} ms (killed)` : r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
      return `${status}\n${r.output}${r.droppedBytes > 0 ? `\n[truncated: ${r.droppedBytes} more bytes of output]` : ''}`;
    },
  });
}
