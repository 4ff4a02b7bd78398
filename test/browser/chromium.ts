// Debian's headless Chromium driven by playwright-core, and pages that record what went wrong
// (console errors such as CSP refusals, script errors, unexpected HTTP errors).
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Without a browser on a developer machine a browser test file is skipped; with CI=1 it must run. */
export const skipBrowser = !fs.existsSync(CHROMIUM) && !process.env.CI;
if (skipBrowser) {
  console.warn(`[browser tests skipped] ${CHROMIUM} is absent. Install it with: apt-get install -y chromium fonts-wqy-microhei (CI=1 makes these tests mandatory).`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  problems: string[];
  /** main-frame navigations that committed (redirects excluded): the pages the person saw */
  shown: string[];
}

/** A page in a clean profile (no cookies shared with other contexts). */
export async function watchedPage(browser: Browser, locale = 'zh-CN'): Promise<WatchedPage> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const problems: string[] = [];
  const shown: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) shown.push(f.url());
  });
  return { page, context, problems, shown };
}
