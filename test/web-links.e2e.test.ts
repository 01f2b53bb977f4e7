import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuites, SHOTS, signUpInBrowser, startWebTest, type WebTest } from './helpers/browser.js';
import { BROWSER_UA } from './helpers/test-app.js';

/**
 * "My links" and a link's analytics in Chromium: a signed-in user's links are listed, searched,
 * edited and deleted; clicks made on the short link show up on the analytics page, bots apart.
 */
describe.runIf(browserSuites)('the web app in Chromium: my links and analytics', () => {
  let web: WebTest;
  let page: Page;
  const shortUrls: string[] = [];

  beforeAll(async () => {
    web = await startWebTest();
    page = await web.newPage();
    await signUpInBrowser(page, 'linkowner');
    for (const path of ['spring-launch', 'autumn-sale', 'winter-docs']) {
      await page.getByLabel('Long URL').fill(`https://example.com/${path}`);
      await page.getByRole('button', { name: 'Shorten' }).click();
      await page.locator('.result .target', { hasText: `https://example.com/${path}` }).waitFor({ timeout: 10_000 });
      shortUrls.push((await page.getByTestId('short-url').textContent())!);
    }
  }, 180_000);

  afterAll(async () => {
    await web?.close();
  });

  it('lists, searches, edits and deletes my links', async () => {
    await page.getByRole('link', { name: 'My links' }).click();
    await page.getByRole('heading', { name: 'My links' }).waitFor();
    const targets = () => page.locator('.links-item .target').allTextContents();
    await expect.poll(targets, { timeout: 10_000 }).toEqual(['https://example.com/winter-docs', 'https://example.com/autumn-sale', 'https://example.com/spring-launch']);
    await page.screenshot({ path: join(SHOTS, 'links.png') });

    await page.getByLabel('Search my links').fill('SALE');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(targets, { timeout: 10_000 }).toEqual(['https://example.com/autumn-sale']);
    expect(new URL(page.url()).search).toBe('?q=SALE');

    const code = new URL(shortUrls[1]!).pathname.slice(1);
    await page.getByRole('button', { name: `Edit ${code}` }).click();
    await page.getByLabel(`Target of ${code}`).fill('ftp://example.com/nope');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByLabel(`Target of ${code}`).getAttribute('aria-invalid'), { timeout: 10_000 }).toBe('true');
    await page.getByLabel(`Target of ${code}`).fill('https://example.com/autumn-sale-2');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(targets, { timeout: 10_000 }).toEqual(['https://example.com/autumn-sale-2']);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: `Delete ${code}` }).click();
    await expect.poll(targets, { timeout: 10_000 }).toEqual([]);
    await page.getByLabel('Search my links').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(targets, { timeout: 10_000 }).toEqual(['https://example.com/winter-docs', 'https://example.com/spring-launch']);
    // The deleted code no longer redirects.
    expect((await fetch(shortUrls[1]!, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } })).status).toBe(404);
  });

  it('shows the clicks of a link on its analytics page, bots apart', async () => {
    const short = shortUrls[0]!;
    const click = (ua: string, referer?: string) => fetch(short, { redirect: 'manual', headers: { 'user-agent': ua, ...(referer ? { referer } : {}) } });
    for (let i = 0; i < 5; i++) expect((await click(BROWSER_UA, 'https://news.example.org/post/1')).status).toBe(302);
    expect((await click('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')).status).toBe(302);

    await page.getByRole('link', { name: 'Analytics' }).last().click();
    await page.getByRole('heading', { name: /^Analytics of/ }).waitFor();
    const total = page.getByTestId('total-clicks');
    // Clicks are batched into the statistics within moments; the page refreshes itself.
    await expect.poll(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      return total.textContent();
    }, { timeout: 15_000, interval: 500 }).toBe('5');
    expect(await page.getByRole('list', { name: 'Referrers' }).textContent()).toContain('news.example.org');
    expect(await page.getByRole('list', { name: 'Browsers' }).textContent()).toMatch(/Chrome/);
    expect(await page.locator('.card', { hasText: 'Bots' }).locator('.number').textContent()).toBe('1');
    expect(await page.getByRole('img', { name: /Clicks per hour, 5 in all/ }).locator('canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'link-analytics.png'), fullPage: true });
  });
});
