import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR } from '../src/webapp/webapp.routes.js';
import { browserSuites, ensureWebBuilt, SHOTS, startWebTest, type WebTest } from './helpers/browser.js';

/**
 * The web app in a real browser: Debian's Chromium (`.ci/run` installs it), driven by
 * playwright-core, against the server listening on loopback. Screenshots of each page go to
 * artifacts/screenshots (not committed).
 */
/** The first page's JavaScript, gzipped (the Lighthouse-style budget). */
const JS_BUDGET_BYTES = 150 * 1024;

describe('the web app build', () => {
  beforeAll(ensureWebBuilt, 150_000);

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

describe.runIf(browserSuites)('the web app in Chromium: shortening', () => {
  let web: WebTest;
  let target: Server;
  let targetUrl: string;
  let page: Page;

  beforeAll(async () => {
    // The page a short link leads to, on loopback like everything else.
    target = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Landed</title><h1>You have landed</h1>'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/a/long/path?from=blueprint`;
    web = await startWebTest();
    page = await web.newPage();
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    target?.close();
  });

  it('says what is wrong with a URL, next to the field', async () => {
    await page.goto('/');
    await page.getByLabel('Long URL').fill('not a url');
    await page.getByRole('button', { name: 'Shorten' }).click();
    const input = page.getByLabel('Long URL');
    await expect.poll(() => input.getAttribute('aria-invalid')).toBe('true');
    const described = await input.getAttribute('aria-describedby');
    expect(await page.locator(`[id="${described}"]`).textContent()).toMatch(/URL/i);
    await page.screenshot({ path: join(SHOTS, 'shorten-error.png') });
  });

  it('shortens a link, shows it with a QR code, and the short link leads to the target', async () => {
    await page.goto('/');
    await page.getByLabel('Long URL').fill(targetUrl);
    await page.getByRole('button', { name: 'Shorten' }).click();
    const short = page.getByTestId('short-url');
    await short.waitFor({ timeout: 10_000 });
    const shortUrl = (await short.textContent())!;
    expect(shortUrl.startsWith(`${web.base}/`)).toBe(true);
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
    const phone = await web.newPage({ width: 375, height: 667, mobile: true });
    await phone.goto('/');
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
