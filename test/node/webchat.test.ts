// WebChat in a real headless Chromium (Debian `chromium`, driven by playwright-core) against the real Node
// server and the fake provider: token login, a streamed answer, and history after a reload.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentModelsConfig } from '../contract/agent-config.ts';
import { TEST_TOKEN } from '../contract/constants.ts';
import { createFakeOpenAI } from '../fakes/openai-provider.ts';
import { serveOnPort0, type ServedFake } from '../fakes/serve-node.ts';
import { ARTIFACTS, CHROMIUM, cspViolationsOf, HAVE_CHROMIUM, WAIT } from './chromium.ts';
import { agentServerEnv, spawnServer, stopServer, tempDir, type ServerProcess } from './server-process.ts';

if (!HAVE_CHROMIUM) console.warn(`webchat browser test skipped: no Chromium at ${CHROMIUM} (install it with: apt-get install -y chromium; .ci/run does)`);

describe.skipIf(!HAVE_CHROMIUM)('webchat in headless chromium (node server, fake provider)', () => {
  const dir = tempDir();
  const provider = createFakeOpenAI();
  let served: ServedFake;
  let server: ServerProcess;
  let context: BrowserContext;
  let page: Page;
  let cspViolations: string[];

  beforeAll(async () => {
    served = await serveOnPort0(provider.app);
    server = await spawnServer(agentServerEnv(dir.path, { models: agentModelsConfig(`${served.url}/v1`) }));
    context = await chromium.launchPersistentContext(join(dir.path, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    cspViolations = cspViolationsOf(page);
  });

  afterAll(async () => {
    await context?.close();
    await stopServer(server);
    await served?.close();
    dir.cleanup();
  });

  it('serves the page with a strict content security policy', async () => {
    const res = await page.goto(`${server.url}/chat`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    await expect(page.getByTestId('login').isVisible()).resolves.toBe(true);
  });

  it('refuses a wrong token, says why and keeps nothing', async () => {
    await page.getByTestId('token').fill('not-the-token');
    await page.getByTestId('connect').click();
    await page.getByTestId('login-error').filter({ hasText: 'token mismatch' }).waitFor(WAIT);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('logs in with the token kept in sessionStorage, never in the URL', async () => {
    await page.getByTestId('token').fill(TEST_TOKEN);
    await page.getByTestId('connect').click();
    await page.locator('[data-testid=messages][data-loaded=true]').waitFor({ state: 'attached', ...WAIT });
    expect(await page.getByTestId('status').textContent()).toBe('connected');
    expect(page.url()).not.toContain(TEST_TOKEN);
    expect(await page.evaluate(() => Object.values({ ...sessionStorage }))).toEqual([TEST_TOKEN]);
  });

  it('sends a message and renders the streamed answer through to the final text', async () => {
    // Record every state an assistant bubble passes through (pending → delta → final).
    await page.evaluate(`(() => {
      const seen = (window.seenStates = []);
      new MutationObserver((records) => {
        for (const r of records) if (r.target.dataset && r.target.dataset.role === 'assistant') seen.push(r.target.dataset.state);
      }).observe(document.getElementById('messages'), { subtree: true, attributes: true, attributeFilter: ['data-state'] });
    })()`);
    await page.getByTestId('input').fill('hello webchat');
    await page.getByTestId('send').click();
    const answer = page.locator('li[data-role=assistant][data-state=final]');
    await answer.waitFor(WAIT);
    expect(await answer.textContent()).toBe('echo: hello webchat');
    const states = await page.evaluate<string[]>('window.seenStates');
    expect(states).toContain('delta');
    expect(states.at(-1)).toBe('final');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'webchat.png'), fullPage: true });
  });

  it('shows the conversation again after a reload, without asking for the token', async () => {
    await page.reload();
    await page.locator('[data-testid=messages][data-loaded=true]').waitFor({ state: 'attached', ...WAIT });
    expect(await page.getByTestId('login').isVisible()).toBe(false);
    const rows = await page.evaluate(`[...document.querySelectorAll('#messages li')].map((e) => [e.dataset.role, e.textContent])`);
    expect(rows).toEqual([
      ['user', 'hello webchat'],
      ['assistant', 'echo: hello webchat'],
    ]);
    await page.screenshot({ path: join(ARTIFACTS, 'webchat-reloaded.png'), fullPage: true });
  });

  it('leaves the stop button hidden while the gateway does not offer chat.abort', async () => {
    expect(await page.getByTestId('abort').isVisible()).toBe(false);
  });

  it('ran without any content security policy violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
