// Device pairing against the official openclaw client code (pinned, from the compat cache): a device block
// built and signed by openclaw's own gateway-client functions verifies here, and `openclaw devices
// list|approve` resolve the pairing request it caused. Run with `npm run test:compat`.
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { ensureOpenclaw } from '../../scripts/install-openclaw.mjs';
import { verifyDeviceProof } from '../../src/gateway/device-identity.ts';
import { connectParams, FrameClient, type WsLike } from '../contract/ws-client.ts';
import { spawnServer, tempDir, type ServerProcess } from '../node/server-process.ts';

const TOKEN = 'compat-devices-token-0123456789ab';
const dir = tempDir('edgeclaw-compat-devices-');
let server: ServerProcess;
let openclaw: string;

/** The official functions, found by their source-region markers in the bundled dist. */
interface OfficialDeviceAuth {
  buildPayloadV3(p: Record<string, unknown>): string;
  sign(privateKeyPem: string, payload: string): string;
  rawPublicKey(publicKeyPem: string): string;
}

let official: Promise<OfficialDeviceAuth> | undefined;
const loadOfficial = () => (official ??= importOfficial());

async function importOfficial(): Promise<OfficialDeviceAuth> {
  const dist = join(dirname(openclaw), 'dist');
  const find = (marker: string) => {
    const file = readdirSync(dist).find((f) => f.endsWith('.mjs') && readFileSync(join(dist, f), 'utf8').includes(`//#region ${marker}\n`));
    if (!file) throw new Error(`no dist module holds ${marker}`);
    return join(dist, file);
  };
  const auth = await import(find('packages/gateway-client/src/device-auth.ts'));
  const ed = await import(find('src/infra/ed25519-signature.ts'));
  // Export letters of the pinned 2026.9.6 bundle: device-auth `n` = buildDeviceAuthPayloadV3;
  // ed25519-signature `u` = signEd25519Payload, `l` = publicKeyRawBase64UrlFromEd25519Pem.
  return { buildPayloadV3: auth.n, sign: ed.u, rawPublicKey: ed.l };
}

function oc(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = join(dir.path, 'home');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [openclaw, ...args], {
      cwd: home,
      env: { PATH: process.env.PATH ?? '', HOME: home, OPENCLAW_HOME: home, OPENCLAW_STATE_DIR: join(home, '.openclaw') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function json(out: string): any {
  return JSON.parse(out.slice(out.search(/^[[{]/m)));
}

/** An identity made like openclaw's generateStoredDeviceIdentity (node:crypto PEM pair). */
function officialIdentity() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Connects through a (non-loopback-looking) proxy hop with a device block signed by openclaw's code. */
async function signedConnect(auth0: OfficialDeviceAuth, id: ReturnType<typeof officialIdentity>, deviceId: string, auth: Record<string, string>) {
  const ws = new WebSocket(server.url.replace('http', 'ws') + '/', { headers: { 'x-forwarded-for': '198.51.100.20' } });
  const client = new FrameClient(ws as unknown as WsLike);
  const challenge = await client.next();
  const scopes = ['operator.read'];
  const client0 = { id: 'openclaw-control-ui', version: '2026.9.6', platform: 'Linux', deviceFamily: 'Desktop', mode: 'webchat' };
  const payload = auth0.buildPayloadV3({ deviceId, clientId: client0.id, clientMode: client0.mode, role: 'operator', scopes, signedAtMs: challenge.payload.ts, token: auth.token ?? auth.deviceToken ?? null, nonce: challenge.payload.nonce, platform: client0.platform, deviceFamily: client0.deviceFamily });
  const device = { id: deviceId, publicKey: auth0.rawPublicKey(id.publicKeyPem), signature: auth0.sign(id.privateKeyPem, payload), signedAt: challenge.payload.ts, nonce: challenge.payload.nonce };
  return { client, res: await client.req('connect', connectParams(auth, scopes, { client: client0, device })) };
}

beforeAll(async () => {
  openclaw = ensureOpenclaw();
  mkdirSync(join(dir.path, 'home', '.openclaw'), { recursive: true });
  server = await spawnServer({ PORT: '0', HOST: '127.0.0.1', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TOKEN, EDGECLAW_CONFIG: writeConfig() });
}, 300_000);

/** Config: the proxy header is trusted from loopback, so the signed connects here are never "direct local". */
function writeConfig(): string {
  const file = join(dir.path, 'edgeclaw.json5');
  writeFileSync(file, JSON.stringify({ gateway: { trustedProxies: ['127.0.0.1'] } }));
  return file;
}

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.exited;
  dir.cleanup();
});

describe('device pairing with the official openclaw client code', () => {
  it('verifies a device block built and signed by openclaw (PEM key, mixed-case platform metadata)', async () => {
    const oc0 = await loadOfficial();
    const id = officialIdentity();
    const deviceId = createHash('sha256').update(Buffer.from(oc0.rawPublicKey(id.publicKeyPem), 'base64url')).digest('hex');
    const nonce = crypto.randomUUID();
    const fields = { clientId: 'cli', clientMode: 'cli', role: 'operator', scopes: ['operator.read', 'operator.write'], token: 'T1', platform: 'Linux', deviceFamily: 'Linux' };
    const payload = oc0.buildPayloadV3({ deviceId, clientId: 'cli', clientMode: 'cli', role: 'operator', scopes: fields.scopes, signedAtMs: Date.now(), token: 'T1', nonce, platform: 'Linux', deviceFamily: 'Linux' });
    const signedAt = Number(payload.split('|')[6]);
    const device = { id: deviceId, publicKey: id.publicKeyPem, signature: oc0.sign(id.privateKeyPem, payload), signedAt, nonce };
    expect(await verifyDeviceProof(device, fields, nonce, Date.now())).toMatchObject({ ok: true, deviceId, payloadVersion: 'v3' });
    expect(await verifyDeviceProof(device, { ...fields, scopes: ['operator.admin'] }, nonce, Date.now())).toMatchObject({ ok: false, code: 'DEVICE_AUTH_SIGNATURE_INVALID' });
  });

  it('openclaw devices list and approve resolve the request; the device then gets its token', async () => {
    const oc0 = await loadOfficial();
    const id = officialIdentity();
    const deviceId = createHash('sha256').update(Buffer.from(oc0.rawPublicKey(id.publicKeyPem), 'base64url')).digest('hex');
    const first = await signedConnect(oc0, id, deviceId, { token: TOKEN });
    expect(first.res.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', deviceId } });
    const wsUrl = server.url.replace('http', 'ws');
    const listed = await oc(['devices', 'list', '--url', wsUrl, '--token', TOKEN, '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(json(listed.stdout).pending).toEqual([expect.objectContaining({ requestId: first.res.error.details.requestId, deviceId })]);
    const approved = await oc(['devices', 'approve', first.res.error.details.requestId, '--url', wsUrl, '--token', TOKEN, '--json']);
    expect(approved.code, approved.stderr + approved.stdout).toBe(0);
    const again = await signedConnect(oc0, id, deviceId, { token: TOKEN });
    const token = again.res.payload.auth.deviceToken as string;
    expect(token).toMatch(/^ecdt_/);
    const byToken = await signedConnect(oc0, id, deviceId, { deviceToken: token });
    expect(byToken.res.payload.auth).toMatchObject({ method: 'device-token', scopes: ['operator.read'] });
    for (const c of [first.client, again.client, byToken.client]) c.ws.close(1000);
  });
});
