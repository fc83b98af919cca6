// The `edgeclaw` command: version, help, unknown commands, and re-running itself on the pinned Node 24
// when started by an older Node.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './server-process.ts';

const BIN = join(ROOT, 'bin/edgeclaw.mjs');
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const run = (node: string, args: string[]) => spawnSync(node, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

describe('edgeclaw command', () => {
  it('prints its version and the Node it runs on', () => {
    const res = run(process.execPath, ['--version']);
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(`edgeclaw ${version} (node ${process.versions.node})\n`);
  });

  it('lists its subcommands in --help', () => {
    const res = run(process.execPath, ['--help']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/^usage: edgeclaw <command>/);
    expect(res.stdout).toMatch(/^\s+start\s+run the gateway/m);
  });

  it('rejects an unknown command with exit code 2', () => {
    const res = run(process.execPath, ['frobnicate']);
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('unknown command "frobnicate"');
  });

  const systemNode = '/usr/bin/node';
  const old = existsSync(systemNode) && Number(spawnSync(systemNode, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim()) < 24;
  it.runIf(old)('re-runs itself on the pinned Node 24 when started by an older Node', () => {
    const res = run(systemNode, ['--version']);
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/\(node 24\./);
  });
});
