// The Node-only tools for a workspace: exec and the file tools, plus web_fetch with DNS-checked SSRF guard.
import { createWebFetchTool, type WebFetchOptions } from '../../src/tools/web-fetch.ts';
import type { ToolDefinition } from '../../src/tools/types.ts';
import { nodeResolver } from './dns-resolver.ts';
import { createExecTool, type ExecLimits } from './exec.ts';
import { createFileTools, type FileToolLimits } from './files.ts';

/**
 * Every built-in tool the Node host offers for one workspace directory (which must exist).
 * @example createToolHost({ tools: createNodeTools(dir), capabilities: { exec: true, localFiles: true, host: 'node' } })
 */
export function createNodeTools(workspace: string, opts: { exec?: Partial<ExecLimits>; files?: Partial<FileToolLimits>; webFetch?: WebFetchOptions } = {}): ToolDefinition[] {
  return [createWebFetchTool({ resolver: nodeResolver, ...opts.webFetch }), createExecTool(workspace, opts.exec), ...createFileTools(workspace, opts.files)];
}
