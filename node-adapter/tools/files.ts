// Node file tools `read`, `write`, `edit`, `list`, confined to a workspace by WorkspaceJail, with size caps.
import { constants } from 'node:fs';
import { mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/types.ts';
import { WorkspaceJail } from './jail.ts';

/** Caps of the file tools. */
export interface FileToolLimits {
  /** Bytes `read` returns at most (the rest is reported, not read). Default 256 KiB. */
  maxReadBytes: number;
  /** Bytes `write`/`edit` may produce. Default 1 MiB. */
  maxWriteBytes: number;
  /** Entries `list` returns at most. Default 500. */
  maxListEntries: number;
}

const DEFAULTS: FileToolLimits = { maxReadBytes: 256 * 1024, maxWriteBytes: 1 << 20, maxListEntries: 500 };

async function readCapped(path: string, offset: number, max: number): Promise<{ text: string; size: number }> {
  // O_NOFOLLOW: the jail checked the path; refusing a final symlink closes the swap-after-check window.
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, Math.min(max, size - offset)));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), size };
  } finally {
    await fh.close();
  }
}

async function writeNoFollow(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(data, 'utf8');
  } finally {
    await fh.close();
  }
}

/**
 * The four file tools over one workspace directory.
 * @example createFileTools('/srv/edgeclaw/workspace') // [read, write, edit, list]
 */
export function createFileTools(workspace: string, limits: Partial<FileToolLimits> = {}): ToolDefinition[] {
  const jail = new WorkspaceJail(workspace);
  const lim = { ...DEFAULTS, ...limits };
  const relPath = z.string().min(1).max(4096).describe('Path relative to the workspace');

  const read = defineTool({
    name: 'read',
    description: 'Read a UTF-8 text file in the workspace (optionally from a byte offset).',
    parameters: z.strictObject({ path: relPath, offset: z.number().int().min(0).optional() }),
    requires: ['localFiles'],
    async run(args) {
      const abs = jail.resolve(args.path);
      const { text, size } = await readCapped(abs, args.offset ?? 0, lim.maxReadBytes);
      const end = (args.offset ?? 0) + Buffer.byteLength(text);
      return end < size ? `${text}\n[truncated: file has ${size} bytes; continue with offset ${end}]` : text;
    },
  });

  const write = defineTool({
    name: 'write',
    description: 'Create or overwrite a UTF-8 text file in the workspace.',
    parameters: z.strictObject({ path: relPath, content: z.string() }),
    requires: ['localFiles'],
    async run(args) {
      if (Buffer.byteLength(args.content) > lim.maxWriteBytes) throw new Error(`content is larger than ${lim.maxWriteBytes} bytes`);
      const abs = jail.resolve(args.path);
      await writeNoFollow(abs, args.content);
      return `wrote ${Buffer.byteLength(args.content)} bytes to ${jail.display(abs)}`;
    },
  });

  const edit = defineTool({
    name: 'edit',
    description: 'Replace one exact, unique occurrence of oldText with newText in a workspace file.',
    parameters: z.strictObject({ path: relPath, oldText: z.string().min(1), newText: z.string() }),
    requires: ['localFiles'],
    async run(args) {
      const abs = jail.resolve(args.path);
      const { text, size } = await readCapped(abs, 0, lim.maxWriteBytes + 1);
      if (size > lim.maxWriteBytes) throw new Error(`file is larger than ${lim.maxWriteBytes} bytes`);
      const first = text.indexOf(args.oldText);
      if (first === -1) throw new Error('oldText not found');
      if (text.indexOf(args.oldText, first + 1) !== -1) throw new Error('oldText occurs more than once; include more context');
      const next = text.slice(0, first) + args.newText + text.slice(first + args.oldText.length);
      if (Buffer.byteLength(next) > lim.maxWriteBytes) throw new Error(`result would be larger than ${lim.maxWriteBytes} bytes`);
      await writeNoFollow(abs, next);
      return `edited ${jail.display(abs)}`;
    },
  });

  const list = defineTool({
    name: 'list',
    description: 'List a directory in the workspace (names; directories end with /).',
    parameters: z.strictObject({ path: relPath.default('.') }),
    requires: ['localFiles'],
    async run(args) {
      const abs = jail.resolve(args.path);
      if (!(await stat(abs)).isDirectory()) throw new Error(`${args.path} is not a directory`);
      const entries = await readdir(abs, { withFileTypes: true });
      const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.isSymbolicLink() ? `${e.name}@` : e.name)).sort();
      const shown = names.slice(0, lim.maxListEntries);
      return names.length > shown.length ? `${shown.join('\n')}\n[truncated: ${names.length - shown.length} more entries]` : shown.join('\n');
    },
  });

  return [read, write, edit, list];
}
