import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WEB_DIR } from '../../src/webapp/webapp.routes.js';
import { freePort } from './free-port.js';
import { servicesRequired } from './services.js';
import { startTestApp, type TestApp } from './test-app.js';

/** Debian's Chromium (`.ci/run` installs it); the browser suites run where it is, and always in CI. */
export const CHROMIUM = '/usr/bin/chromium';
export const browserSuites = existsSync(CHROMIUM) || servicesRequired;

/** Where the browser tests save screenshots (artifacts/ is not committed). */
export const SHOTS = join(import.meta.dirname, '..', '..', 'artifacts', 'screenshots');

/** Builds the web app once when the checkout has no build yet (`npm start` and CI build it first). */
export async function ensureWebBuilt(): Promise<void> {
  if (existsSync(join(WEB_DIR, 'index.html'))) return;
  await promisify(execFile)(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { timeout: 120_000 });
}

export interface WebTest {
  app: TestApp;
  /** `http://localhost:PORT`: localhost, so that the Secure refresh cookie is kept over plain HTTP. */
  base: string;
  browser: Browser;
  /** A fresh browser context (its own cookies) with a page. */
  newPage(options?: { width?: number; height?: number; mobile?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * The real server listening on loopback and a headless Chromium driven by playwright-core
 * (no sandbox: CI runs as root; no background networking: this machine's network is closed).
 */
export async function startWebTest(env: Record<string, string> = {}): Promise<WebTest> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  await ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const app = await startTestApp({ PUBLIC_URL: base, RATE_LIMIT_AUTH: 'off', PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1', ...env });
  await app.runtime.app.listen({ host: '127.0.0.1', port });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    timeout: 60_000,
  });
  return {
    app,
    base,
    browser,
    async newPage({ width = 1024, height = 768, mobile = false } = {}) {
      const context = await browser.newContext({ viewport: { width, height }, isMobile: mobile, baseURL: base });
      return context.newPage();
    },
    async close() {
      await browser.close();
      await app.close();
    },
  };
}

/** Signs a user up through the web app's form; the page ends signed in on `next`. */
export async function signUpInBrowser(page: Page, username: string, next = '/'): Promise<void> {
  await page.goto(`/signup?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery staple');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: `Sign out ${username}` }).waitFor({ timeout: 10_000 });
}
