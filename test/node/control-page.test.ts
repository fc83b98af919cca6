// The control page at GET / in a real headless Chromium (Debian `chromium`, playwright-core) against the real Node
// server: strict CSP, token login, live status, sessions with history, approvals and logs; saves a screenshot.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCKED_PROMPT } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { waitFor } from '../contract/harness.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { createFakeTelegram } from '../fakes/telegram.ts';
import { ARTIFACTS, CHROMIUM, cspViolationsOf, HAVE_CHROMIUM, WAIT } from './chromium.ts';
import { spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

if (!HAVE_CHROMIUM) console.warn(`control page browser test skipped: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium)`);

describe('GET / content negotiation', () => {
  const dir = tempDir();
  let server: ServerProcess;
  beforeAll(async () => {
    server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN });
  });
  afterAll(async () => {
    await stopServer(server);
    dir.cleanup();
  });

  it('answers JSON to API clients and the HTML page with a strict CSP to browsers', async () => {
    const api = await fetch(`${server.url}/`, { headers: { accept: '*/*' } });
    expect(await api.json()).toMatchObject({ name: 'edgeclaw', websocket: '/' });
    const html = await fetch(`${server.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const body = await html.text();
    expect(body).not.toMatch(/<script>|\son[a-z]+=/i);
    expect((await fetch(`${server.url}/control/app.js`)).headers.get('content-type')).toMatch(/javascript/);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('control page in headless chromium', () => {
  const dir = tempDir();
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let cspViolations: string[];

  const telegram = createFakeTelegram();
  const botToken = telegram.addBot(5101, 'control_page_bot');
  let provider: ServedFake;
  let bots: ServedFake;

  const rpc = async (method: string, params: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/rpc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'req', id: crypto.randomUUID(), method, params }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { payload: Record<string, unknown> }).payload;
  };

  beforeAll(async () => {
    provider = await serveOnPort0(createFakeOpenAI().app);
    bots = await serveOnPort0(telegram.app);
    const config = join(dir.path, 'edgeclaw.json5');
    writeFileSync(
      config,
      JSON.stringify({
        models: { default: 'fake/echo', providers: { fake: { baseUrl: `${provider.url}/v1`, keyless: true, models: ['echo'] } } },
        channels: { telegram: { accounts: [{ id: 'default', token: botToken, apiRoot: bots.url, transport: 'polling', pollTimeoutSeconds: 1 }] } },
      }),
    );
    server = await spawnServer({ PORT: '0', EDGECLAW_DATA_DIR: join(dir.path, 'data'), EDGECLAW_GATEWAY_TOKEN: TEST_TOKEN, EDGECLAW_CONFIG: config, EDGECLAW_AGENT_RUNNER: 'model' });
    await rpc('chat.send', { sessionKey: 'agent:main:main', message: 'hello control page', idempotencyKey: 'cp-1' });
    await rpc('chat.send', { sessionKey: 'agent:main:main', message: BLOCKED_PROMPT, idempotencyKey: 'cp-2' });
    await waitFor(async () => ((await rpc('defender.decisions', { decision: 'block' })).decisions as unknown[]).length > 0 || undefined, 30_000, 'the blocked prompt to be recorded');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    page = await browser.newPage();
    cspViolations = cspViolationsOf(page);
  });

  afterAll(async () => {
    await browser?.close();
    telegram.releaseAll();
    await stopServer(server);
    await provider?.close();
    await bots?.close();
    dir.cleanup();
  });

  it('logs in with a token, shows status, channels, usage, defender decisions, sessions with history, approvals and logs, and saves a screenshot', async () => {
    const res = await page.goto(`${server.url}/`);
    expect(res?.status()).toBe(200);
    await page.locator('#token').fill(TEST_TOKEN);
    await page.locator('#login button[type=submit]').click();
    await page.locator('#conn.ok').waitFor(WAIT);
    await page.locator('#login').waitFor({ state: 'hidden', ...WAIT });
    await expect(page.locator('.status-version').textContent(WAIT)).resolves.toMatch(/^\d+\.\d+\.\d+/);
    await page.locator('#sessions li[data-key="agent:main:main"]').click(WAIT);
    await page.locator('#history li', { hasText: 'echo: hello control page' }).waitFor(WAIT);
    await page.locator('#approvals-note', { hasText: 'nothing pending' }).waitFor(WAIT);
    await page.locator('#logs', { hasText: 'listening' }).waitFor(WAIT);
    // The configured Telegram bot is listed with its transport; the others are named as not configured.
    await page.locator('#channels li[data-channel="telegram"]', { hasText: 'polling' }).waitFor(WAIT);
    await page.locator('#channels-note', { hasText: 'Slack' }).waitFor(WAIT);
    // Usage counts the answered run; the blocked prompt never reached the model.
    await expect(page.locator('.usage-runs').textContent(WAIT)).resolves.toBe('1');
    await page.locator('#usage-models li', { hasText: 'fake/echo' }).waitFor(WAIT);
    // Recent decisions with their reasons: the blocked prompt and the allowed one.
    const blocked = page.locator('#decisions li[data-decision="block"][data-kind="prompt"]');
    await blocked.waitFor(WAIT);
    await expect(blocked.textContent()).resolves.toContain('prompt_guard:override.ignore_previous_instructions');
    await page.locator('#decisions li[data-decision="allow"][data-kind="prompt"]').first().waitFor(WAIT);
    await page.locator('#history li', { hasText: 'message withheld by the defender' }).waitFor(WAIT);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'control-page.png'), fullPage: true });
    expect(cspViolations).toEqual([]);
  });

  it('reconnects from sessionStorage after a reload and signs out on request', async () => {
    await page.reload();
    await page.locator('#conn.ok').waitFor(WAIT);
    await page.locator('#logout').click();
    await page.locator('#login').waitFor({ state: 'visible', ...WAIT });
  });

  it('shows the refusal reason for a wrong token', async () => {
    await page.locator('#token').fill('wrong-token-0123456789');
    await page.locator('#login button[type=submit]').click();
    await page.locator('#login-error', { hasText: 'token mismatch' }).waitFor(WAIT);
  });
});
