import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR } from '../src/webapp/webapp.routes.js';
import { freePort } from './helpers/free-port.js';
import { servicesRequired } from './helpers/services.js';
import { startTestApp, type TestApp } from './helpers/test-app.js';

/**
 * The web app in a real browser: Debian's Chromium (`.ci/run` installs it), driven by
 * playwright-core, against the server listening on loopback. Screenshots of each page go to
 * artifacts/screenshots (not committed).
 */
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', 'artifacts', 'screenshots');
/** The first page's JavaScript, gzipped (the Lighthouse-style budget). */
const JS_BUDGET_BYTES = 150 * 1024;

/** Builds the app once when the checkout has no build yet (`npm start` and CI build it first). */
async function ensureBuilt(): Promise<void> {
  if (existsSync(join(WEB_DIR, 'index.html'))) return;
  await promisify(execFile)(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { timeout: 120_000 });
}

describe('the web app build', () => {
  beforeAll(ensureBuilt, 150_000);

  it('keeps the first page under its JavaScript budget, with hashed names', () => {
    const html = readFileSync(join(WEB_DIR, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    expect(scripts.every((s) => /-[A-Za-z0-9_-]{8}\.js$/.test(s))).toBe(true);
    const gzipped = scripts.reduce((sum, s) => sum + gzipSync(readFileSync(join(WEB_DIR, s))).length, 0);
    process.stdout.write(`first page JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${JS_BUDGET_BYTES / 1024} KB)\n`);
    expect(gzipped).toBeLessThan(JS_BUDGET_BYTES);
  });
});

describe.runIf(existsSync(CHROMIUM) || servicesRequired)('the web app in Chromium', () => {
  let app: TestApp;
  let base: string;
  let target: Server;
  let targetUrl: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
    await ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    // The page a short link leads to, on loopback like everything else.
    target = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Landed</title><h1>You have landed</h1>'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/a/long/path?from=blueprint`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startTestApp({ PUBLIC_URL: base, HOST: '127.0.0.1', PORT: String(port) });
    await app.runtime.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      timeout: 60_000,
    });
    page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    target?.close();
  });

  it('says what is wrong with a URL, next to the field', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('Long URL').fill('not a url');
    await page.getByRole('button', { name: 'Shorten' }).click();
    const input = page.getByLabel('Long URL');
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    const described = await input.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${described}"]`).textContent()).toMatch(/URL/i);
    await page.screenshot({ path: join(SHOTS, 'shorten-error.png') });
  });

  it('shortens a link, shows it with a QR code, and the short link leads to the target', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('Long URL').fill(targetUrl);
    await page.getByRole('button', { name: 'Shorten' }).click();
    const short = page.getByTestId('short-url');
    await short.waitFor({ timeout: 10_000 });
    const shortUrl = (await short.textContent())!;
    expect(shortUrl.startsWith(`${base}/`)).toBe(true);
    const qr = page.getByRole('img', { name: `QR code for ${shortUrl}` });
    await expect.poll(() => qr.evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth > 0)).toBe(true);
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'shorten-result.png') });
    await short.click();
    await page.waitForURL(targetUrl, { timeout: 10_000 });
    expect(await page.locator('h1').textContent()).toBe('You have landed');
  });

  it('fits a phone-sized screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 667 }, isMobile: true });
    await phone.goto(`${base}/`);
    // In the page: the document is no wider than the screen (no sideways scrolling).
    const overflow = await phone.evaluate(() => {
      const page = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return page.document.documentElement.scrollWidth - page.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, 'shorten-phone.png') });
    await phone.close();
  });
});
