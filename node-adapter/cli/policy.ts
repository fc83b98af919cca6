// `edgeclaw policy keygen | root | sign | verify | rotate`: Ed25519 keys, trust roots, signed policy bundles and root rotations.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  applyPolicyBundle, applyRootRotation, BundleError, generateSigningKey, makeRoot, signEnvelope, POLICY_TYPE, ROOT_TYPE,
  type PolicyPayload, type SigningKey, type TrustRoot,
} from '../../src/defender/bundle.ts';
import { resolvePolicy } from '../../src/defender/policy.ts';
import { parseTrustFile, trustState, type TrustFile } from '../../src/defender/active-policy.ts';

const USAGE = `usage: edgeclaw policy <sub> [flags]
  keygen  --out <prefix>                         write <prefix>.key (0600) and <prefix>.pub; prints the key id
  root    --pub <k.pub>... --threshold N --expires <ISO|30d> --out <trust.json> [--version 1]
  sign    --policy <p.json> --key <k.key>... --version N --expires <ISO|30d> --out <bundle.json> [--policy-id ID]
  verify  --bundle <bundle.json> --trust <trust.json> [--last-version N]   exit 1 + code on rejection
  rotate  --trust <trust.json> --old <k.key>... --new <k.key>... [--pub <k.pub>...] --threshold N --expires <ISO|30d>
          --out <rotation.json> [--update]   (--update appends the rotation to the trust file)`;

class UsageError extends Error {}

type Flags = Record<string, string | string[] | boolean | undefined>;
const OPTIONS = {
  out: { type: 'string' }, pub: { type: 'string', multiple: true }, threshold: { type: 'string' }, expires: { type: 'string' },
  version: { type: 'string' }, policy: { type: 'string' }, key: { type: 'string', multiple: true }, 'policy-id': { type: 'string' },
  bundle: { type: 'string' }, trust: { type: 'string' }, 'last-version': { type: 'string' }, old: { type: 'string', multiple: true },
  new: { type: 'string', multiple: true }, update: { type: 'boolean' }, now: { type: 'string' },
} as const;

function need(f: Flags, name: string): string {
  const v = f[name];
  if (typeof v !== 'string' || !v) throw new UsageError(`missing --${name}`);
  return v;
}
function list(f: Flags, name: string): string[] { return (f[name] as string[] | undefined) ?? []; }
function int(f: Flags, name: string, min: number, fallback?: number): number {
  const v = f[name];
  if (v === undefined && fallback !== undefined) return fallback;
  const n = Number(need(f, name));
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}`);
  return n;
}
/** ISO date, or a relative duration like 30d / 12h from now. */
function expiry(f: Flags, now: number): string {
  const v = need(f, 'expires');
  const rel = /^(\d{1,5})([dhm])$/.exec(v);
  if (rel) return new Date(now + Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as 'd']).toISOString();
  const t = Date.parse(v);
  if (!Number.isFinite(t)) throw new UsageError('--expires must be an ISO date or a duration like 30d');
  return new Date(t).toISOString();
}
function readJson(path: string, what: string): unknown {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  try { return JSON.parse(text); } catch { throw new UsageError(`${what} ${path} is not JSON`); }
}
function readKey(path: string): SigningKey {
  const k = readJson(path, 'private key') as Partial<SigningKey>;
  if (typeof k.keyid !== 'string' || typeof k.publicKey !== 'string' || typeof k.privateKey !== 'string') throw new UsageError(`${path} is not an edgeclaw private key (keyid, publicKey, privateKey)`);
  return k as SigningKey;
}
function readPub(path: string): { keyid: string; publicKey: string } {
  const k = readJson(path, 'public key') as { keyid?: unknown; publicKey?: unknown };
  if (typeof k.keyid !== 'string' || typeof k.publicKey !== 'string') throw new UsageError(`${path} is not an edgeclaw public key (keyid, publicKey)`);
  return { keyid: k.keyid, publicKey: k.publicKey };
}
function readTrust(path: string): TrustFile {
  try { return parseTrustFile(readFileSync(path, 'utf8')); } catch (e) {
    if (e instanceof BundleError) throw e;
    throw new UsageError(`cannot read trust file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
/** Writes JSON; a private key (`mode` set) is created exclusively (never overwrites a key) with that mode. */
function writeJson(path: string, value: unknown, mode?: number): void {
  try {
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, mode ? { mode, flag: 'wx' } : {});
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new UsageError(`${path} already exists; refusing to overwrite a key`);
    throw new UsageError(`cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (mode) chmodSync(path, mode); // the umask may have narrowed it further; make it exact
}
function uniqueKeys<T extends { keyid: string }>(keys: T[]): T[] { return [...new Map(keys.map((k) => [k.keyid, k])).values()]; }

type Out = (line: string) => void;

async function keygen(f: Flags, out: Out): Promise<number> {
  const prefix = need(f, 'out');
  const k = await generateSigningKey();
  writeJson(`${prefix}.key`, k, 0o600);
  writeJson(`${prefix}.pub`, { keyid: k.keyid, publicKey: k.publicKey });
  out(k.keyid);
  return 0;
}

async function root(f: Flags, out: Out, now: number): Promise<number> {
  const pubs = uniqueKeys(list(f, 'pub').map(readPub));
  if (!pubs.length) throw new UsageError('missing --pub (one or more public key files)');
  const threshold = int(f, 'threshold', 1);
  if (threshold > pubs.length) throw new UsageError(`--threshold ${threshold} exceeds the ${pubs.length} key(s) given`);
  const r: TrustRoot = makeRoot(int(f, 'version', 1, 1), expiry(f, now), threshold, pubs.map((p) => ({ ...p, privateKey: '' })));
  writeJson(need(f, 'out'), { root: r, rotations: [] });
  out(JSON.stringify({ ok: true, rootVersion: r.version, threshold, keyids: Object.keys(r.keys) }));
  return 0;
}

async function sign(f: Flags, out: Out, now: number): Promise<number> {
  const policy = readJson(need(f, 'policy'), 'policy') as PolicyPayload['policy'];
  try { resolvePolicy(policy); } catch (e) { throw new UsageError(`invalid policy: ${(e as Error).message}`); }
  const keys = uniqueKeys(list(f, 'key').map(readKey));
  if (!keys.length) throw new UsageError('missing --key (one or more private key files)');
  const payload: PolicyPayload = { bundleVersion: int(f, 'version', 1), issuedAt: new Date(now).toISOString(), expiresAt: expiry(f, now), policy };
  const id = f['policy-id'];
  if (typeof id === 'string') payload.policyId = id;
  const env = await signEnvelope(POLICY_TYPE, payload, keys);
  writeJson(need(f, 'out'), env);
  out(JSON.stringify({ ok: true, bundleVersion: payload.bundleVersion, expiresAt: payload.expiresAt, keyids: keys.map((k) => k.keyid) }));
  return 0;
}

async function verify(f: Flags, out: Out, now: number): Promise<number> {
  const bundle = readJson(need(f, 'bundle'), 'bundle');
  const state = await trustState(readTrust(need(f, 'trust')), now);
  const lastVersion = int(f, 'last-version', 0, 0);
  const next = await applyPolicyBundle({ ...state, lastVersion }, bundle, now);
  const p = next.active!.payload;
  out(JSON.stringify({ ok: true, bundleVersion: p.bundleVersion, policyId: p.policyId ?? null, expiresAt: p.expiresAt, rootVersion: next.root.version, reviewThreshold: next.active!.policy.reviewThreshold, blockThreshold: next.active!.policy.blockThreshold }));
  return 0;
}

async function rotate(f: Flags, out: Out, now: number): Promise<number> {
  const trustPath = need(f, 'trust');
  const trust = readTrust(trustPath);
  const state = await trustState(trust, now);
  const oldKeys = uniqueKeys(list(f, 'old').map(readKey));
  const newKeys = uniqueKeys(list(f, 'new').map(readKey));
  if (!oldKeys.length || !newKeys.length) throw new UsageError('rotate needs --old and --new private key files (the rotation is signed by both roots)');
  const listed = uniqueKeys([...newKeys, ...list(f, 'pub').map(readPub).map((p) => ({ ...p, privateKey: '' }))]);
  const threshold = int(f, 'threshold', 1);
  if (threshold > listed.length) throw new UsageError(`--threshold ${threshold} exceeds the ${listed.length} key(s) of the new root`);
  const next = makeRoot(state.root.version + 1, expiry(f, now), threshold, listed);
  const env = await signEnvelope(ROOT_TYPE, next, uniqueKeys([...oldKeys, ...newKeys]));
  await applyRootRotation(state, env, now); // self-check: refuse to write a rotation that would not verify
  writeJson(need(f, 'out'), env);
  if (f.update) writeJson(trustPath, { root: trust.root, rotations: [...trust.rotations, env] });
  out(JSON.stringify({ ok: true, rootVersion: next.version, threshold, keyids: Object.keys(next.keys) }));
  return 0;
}

const SUBS: Record<string, (f: Flags, out: Out, now: number) => Promise<number>> = { keygen, root, sign, verify, rotate };

/** Runs `policy <sub>`; resolves to the exit code (0 ok, 1 rejected bundle/rotation, 2 usage or input error). */
export async function policyMain(argv: readonly string[], out: Out = (l) => process.stdout.write(`${l}\n`), err: Out = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub ? SUBS[sub] : undefined;
  if (!run) { err(USAGE); return 2; }
  try {
    const { values } = parseArgs({ args: [...rest], options: OPTIONS, strict: true, allowPositionals: false });
    // --now (ISO) pins the clock for reproducible signing and verification; default is the real time.
    const now = typeof values.now === 'string' ? Date.parse(values.now) : Date.now();
    if (!Number.isFinite(now)) throw new UsageError('--now must be an ISO date');
    return await run(values as Flags, out, now);
  } catch (e) {
    if (e instanceof BundleError) {
      out(JSON.stringify({ ok: false, code: e.code, message: e.message }));
      err(`edgeclaw policy ${sub}: rejected ${e.code}: ${e.message}`);
      return 1;
    }
    err(`edgeclaw policy ${sub}: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
}
