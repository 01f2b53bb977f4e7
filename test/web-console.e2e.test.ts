import { join } from 'node:path';
import { setUserRole } from '../src/modules/accounts/index.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleEdge } from '../src/composition/edge.js';
import { loadConfig } from '../src/config/index.js';
import { startGateway, type Gateway } from '../src/gateway/index.js';
import { createLogger } from '../src/observability/logger.js';
import { browserSuites, SHOTS, signUpInBrowser, startWebTest, type WebTest } from './helpers/browser.js';

/** GETs `urls`, `concurrency` at a time, each answered within 5 s; answers their statuses. */
async function send(urls: string[], concurrency = 20): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < urls.length; i += concurrency) {
    const batch = urls.slice(i, i + concurrency).map(async (url) => {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return res.status;
    });
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

/** A page of its own (fresh context) whose waits fail after 10 s rather than the test's timeout. */
async function open(web: WebTest, options: { width: number; height: number; mobile?: boolean }): Promise<Page> {
  const page = await web.newPage(options);
  page.setDefaultTimeout(10_000);
  return page;
}

/** The request rate the page shows (req/s); NaN while it shows none. */
const shownRate = async (page: Page) => Number.parseFloat((await page.getByTestId('request-rate').textContent({ timeout: 10_000 })) ?? '');

/** The page's status line (role=status). */
const status = (page: Page) => page.getByRole('status').first().textContent();

/** How far the document is wider than the screen (sideways scrolling), in CSS pixels. */
const overflow = (page: Page) =>
  page.evaluate(() => {
    const g = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
    return g.document.documentElement.scrollWidth - g.innerWidth;
  });

/**
 * The operator's console (/console) in Chromium against the real server: it scrapes /metrics
 * every second and must show what the test's own traffic did to it.
 */
describe.runIf(browserSuites)('the operator console in Chromium', () => {
  let web: WebTest;

  beforeAll(async () => {
    // One policy on, so that refusals have something to show: 5 unknown codes a minute per address.
    web = await startWebTest({ RATE_LIMIT_PROBE: 'fixed-window 5/1m by=ip' });
  }, 180_000);

  afterAll(async () => {
    await web?.close();
  });

  it('shows the request rate rising with traffic, latency per route, the cache, the queues and refusals', { timeout: 60_000 }, async () => {
    const page = await open(web, { width: 1024, height: 900 });
    await page.goto('/console');
    await page.getByRole('heading', { level: 1, name: 'Operator console' }).waitFor();
    // A rate needs two scrapes.
    await expect.poll(() => shownRate(page), { timeout: 10_000 }).not.toBeNaN();
    const before = await shownRate(page);

    const health = await send(Array.from({ length: 200 }, () => `${web.base}/healthz`));
    expect(health.every((s) => s === 200)).toBe(true);
    const created = await fetch(`${web.base}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/console' }), signal: AbortSignal.timeout(5_000) });
    expect(created.status).toBe(201);
    const { code } = (await created.json()) as { code: string };
    expect(await send(Array.from({ length: 10 }, () => `${web.base}/${code}`))).toEqual(Array(10).fill(302));
    // Unknown codes, one after the other: the probe policy lets 5 through (404) and refuses the rest.
    const probes = await send(Array.from({ length: 8 }, (_, i) => `${web.base}/zzqq${i}`), 1);
    expect(probes.filter((s) => s === 429).length).toBeGreaterThan(0);

    // 218 requests within the last 10 s are 20 req/s more than before.
    await expect.poll(() => shownRate(page), { timeout: 15_000, interval: 250 }).toBeGreaterThan(before + 5);

    // Latency percentiles of a route we hit, as durations.
    const routes = page.getByRole('region', { name: 'Requests' }).getByRole('table', { name: /^Per route/ });
    const healthRow = routes.locator('tr', { has: page.getByRole('rowheader', { name: 'GET /healthz', exact: true }) });
    const headers = await routes.getByRole('columnheader').allTextContents();
    expect(headers).toEqual(['Route', 'req/s', '5xx/s', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'Total']);
    const cell = (name: string) => healthRow.getByRole('cell').nth(headers.indexOf(name) - 1); // the row header is not a cell
    const ms = async (name: string) => Number.parseFloat((await cell(name).textContent())!.replace(/,/g, ''));
    for (const p of ['p50 (ms)', 'p95 (ms)', 'p99 (ms)']) expect(await ms(p)).toBeGreaterThan(0);
    expect(await ms('p50 (ms)')).toBeLessThanOrEqual(await ms('p95 (ms)'));
    expect(await ms('p95 (ms)')).toBeLessThanOrEqual(await ms('p99 (ms)'));
    // The rate above may have crossed its mark on a scrape taken while the 200 were still being sent: the total follows on a later one.
    await expect.poll(async () => Number((await cell('Total').textContent())!.replace(/,/g, '')), { timeout: 5_000, interval: 250 }).toBeGreaterThanOrEqual(200);
    expect(Number.parseFloat((await cell('req/s').textContent()) ?? '')).toBeGreaterThan(5);
    expect(await page.getByRole('img', { name: /^Requests per second, over the last \d+ s\. Now \d+(\.\d+)? req\/s/ }).count()).toBe(1);

    // The cache saw the redirects: a ratio since start.
    const cache = page.getByRole('region', { name: 'Cache hit ratio' });
    expect(await cache.getByRole('term').first().textContent()).toBe('links cache');
    expect(await cache.textContent()).toMatch(/\d+(\.\d)?\s%\ssince start/);

    // The queues list their topics, with dead letters and how to replay them.
    const queues = page.getByRole('region', { name: 'Queues' });
    const topics = queues.getByRole('table', { name: 'Messages per topic now' });
    for (const topic of ['clicks', 'feed.fanout']) await topics.getByRole('rowheader', { name: topic, exact: true }).waitFor({ timeout: 5_000 });
    expect(await topics.getByRole('columnheader', { name: 'Dead letters' }).count()).toBe(1);
    expect(await queues.textContent()).toContain('npm run cli -- queue:replay <topic>');

    // Refusals per policy: at least the probes refused above (the browser's own /favicon.ico is a probe too).
    const policies = page.getByRole('region', { name: 'Rate limits' }).getByRole('table', { name: /^Decisions per policy/ });
    const probeRow = policies.locator('tr', { has: page.getByRole('rowheader', { name: 'probe', exact: true }) });
    await expect.poll(async () => Number((await probeRow.getByRole('cell').last().textContent()) ?? ''), { timeout: 5_000 }).toBeGreaterThanOrEqual(probes.filter((s) => s === 429).length);

    // Fan-out is reported by this process; the gateway's section is not there without a gateway.
    expect(await page.getByRole('region', { name: 'Feed fan-out' }).getByText('Not reported by this process').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Gateway' }).count()).toBe(0);
    expect(await status(page)).toBe('Live: /metrics is read every second.');
    await page.screenshot({ path: join(SHOTS, 'console.png'), fullPage: true });
    await page.context().close();
  });

  it('says when /metrics fails, keeps its data and recovers by itself', async () => {
    const page = await open(web, { width: 1024, height: 768 });
    await page.goto('/console');
    await expect.poll(() => shownRate(page), { timeout: 10_000 }).not.toBeNaN();
    await page.route('**/metrics', (route) => route.abort('connectionrefused'));
    await expect.poll(() => status(page), { timeout: 5_000 }).toBe('Connection lost — retrying (the server cannot be reached).');
    // What was read stays on the page.
    expect(await shownRate(page)).not.toBeNaN();
    await page.screenshot({ path: join(SHOTS, 'console-lost.png') });
    await page.unroute('**/metrics');
    await expect.poll(() => status(page), { timeout: 5_000 }).toBe('Live: /metrics is read every second.');
    await page.context().close();
  });

  it('fits a phone-sized screen', async () => {
    const phone = await open(web, { width: 375, height: 740, mobile: true });
    await phone.goto('/console');
    await expect.poll(() => shownRate(phone), { timeout: 10_000 }).not.toBeNaN();
    // Every chart is drawn, no wider than the screen.
    const charts = phone.getByRole('img', { name: /, over the last/ });
    await expect.poll(() => charts.count(), { timeout: 5_000 }).toBeGreaterThanOrEqual(6);
    const widths = await phone.locator('.console-chart canvas').evaluateAll((els) => els.map((el) => (el as unknown as { getBoundingClientRect(): { right: number } }).getBoundingClientRect().right));
    expect(widths.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...widths)).toBeLessThanOrEqual(375);
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, 'console-phone.png'), fullPage: true });
    await phone.context().close();
  });

  it('served through a gateway: shows the breaker and the upstreams, and says what the gateway does not report', async () => {
    const apiAddress = new URL(web.base).host.replace('localhost', '127.0.0.1');
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      PUBLIC_URL: web.base,
      GATEWAY_AUTH: 'off',
      // The API, and an address where nothing listens (the discard port): one upstream is down.
      GATEWAY_UPSTREAMS: `${apiAddress}, 127.0.0.1:9`,
      GATEWAY_HEALTH_INTERVAL_MS: '100',
      GATEWAY_HEALTH_TIMEOUT_MS: '200',
    });
    let gateway: Gateway | undefined;
    try {
      gateway = await startGateway(config, assembleEdge(config, { logger: createLogger('silent', { buffered: false }) }));
      const base = await gateway.app.listen({ host: '127.0.0.1', port: 0 });
      const page = await open(web, { width: 1024, height: 900 });
      await page.goto(`${base}/console`);
      const section = page.getByRole('region', { name: 'Gateway' });
      await section.waitFor({ timeout: 10_000 });
      const upstreams = section.getByRole('table', { name: /^Upstreams now/ });
      const inRotation = (upstream: string) => upstreams.locator('tr', { has: page.getByRole('rowheader', { name: upstream, exact: true }) }).getByRole('cell').first().textContent();
      await expect.poll(() => inRotation(apiAddress), { timeout: 10_000 }).toBe('yes');
      await expect.poll(() => inRotation('127.0.0.1:9'), { timeout: 10_000 }).toBe('no');
      expect(await section.getByText('1 of 2', { exact: true }).count()).toBe(1);
      expect(['closed', 'half-open', 'open']).toContain(await section.getByRole('definition').first().textContent());
      // The gateway's /metrics has requests but no queues.
      await expect.poll(() => shownRate(page), { timeout: 10_000 }).not.toBeNaN();
      expect(await page.getByRole('region', { name: 'Queues' }).getByText(/^Not reported by this process/).count()).toBe(1);
      await page.screenshot({ path: join(SHOTS, 'console-gateway.png'), fullPage: true });
      await page.context().close();
    } finally {
      await gateway?.close();
    }
  });
});

describe.runIf(browserSuites)('the console in Chromium: dead letters and their replay', () => {
  let web: WebTest;

  beforeAll(async () => {
    // One delivery: a message its consumer refuses is dead-lettered at once.
    web = await startWebTest({ QUEUE_MAX_ATTEMPTS: '1' });
    const { queue } = web.app.runtime.container;
    await queue.publish('clicks', [{ key: null, payload: { not: 'a click batch' } }]);
  }, 180_000);
  afterAll(async () => {
    await web?.close();
  });

  it('tells a signed-out visitor and a non-operator what replay takes', async () => {
    const page = await open(web, { width: 1024, height: 900 });
    await page.goto('/console');
    await page.getByText('as an operator (given the role with blueprint users:role NAME operator)').waitFor();
    await signUpInBrowser(page, 'notops', '/console');
    await page.getByText('Your account is not an operator').waitFor();
    await page.context().close();
  });

  it('lists a dead letter for an operator and replays it onto its topic', async () => {
    const page = await open(web, { width: 1024, height: 900 });
    await signUpInBrowser(page, 'opslead', '/console');
    expect(await setUserRole(web.app.runtime.container.sql, 'opslead', 'operator')).toBe(true);
    await page.reload();
    const replay = page.getByRole('button', { name: /^Replay dead letter / });
    await replay.waitFor();
    expect(await page.getByRole('cell', { name: /a click batch/ }).count()).toBe(1);
    await page.getByText('Dead letters', { exact: true }).last().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'console-dead-letters.png') });
    await replay.click();
    await page.getByRole('status').filter({ hasText: '1 message put back on clicks.' }).waitFor();
    await page.context().close();
  });
});
