/** What the browser tests (control page, WebChat) share: where Chromium is, where screenshots go, CSP reports. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ROOT } from './server-process.ts';

/** The Chromium binary (Debian `chromium`; CHROMIUM_PATH overrides). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Whether it is installed; the browser suites are skipped, with a warning, when it is not. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** Where screenshots are saved. */
export const ARTIFACTS = join(ROOT, 'test-results');
/** How long a locator waits. */
export const WAIT = { timeout: 30_000 };

/**
 * Collects the Content Security Policy violations `page` reports on its console from now on.
 * @example const violations = cspViolationsOf(page); … expect(violations).toEqual([])
 */
export function cspViolationsOf(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}
