import { describe, expect, it } from 'vitest';
import { packClicks } from '../src/modules/analytics/index.js';
import { BOT_UA, BROWSER_UA, PHONE_UA, startTestApp, tempDataDir, waitFor, type TestApp } from './helpers/test-app.js';

async function shorten(t: TestApp, url = 'https://example.com/'): Promise<string> {
  const res = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url } });
  expect(res.statusCode).toBe(201);
  return res.json().code;
}

async function stats(t: TestApp, code: string, query = '') {
  const res = await t.runtime.app.inject({ url: `/api/v1/links/${code}/stats${query}` });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Waits until the queue holds nothing for the clicks topic, then a consumer pass later. */
async function drained(t: TestApp): Promise<boolean> {
  await t.runtime.container.clicks?.flush();
  return waitFor(async () => {
    const s = await t.runtime.container.queue.stats('clicks');
    return s.ready + s.inFlight + s.delayed === 0 && (t.runtime.container.clicks?.pending ?? 0) === 0;
  });
}

async function redirectMany(t: TestApp, code: string, n: number, headers: Record<string, string> = { 'user-agent': BROWSER_UA }) {
  for (let i = 0; i < n; i++) {
    const res = await t.runtime.app.inject({ url: `/${code}`, headers });
    expect(res.statusCode).toBe(302);
  }
}

describe('click analytics', () => {
  it('counts exactly N clicks for N redirects', async () => {
    const t = await startTestApp();
    try {
      const code = await shorten(t);
      await redirectMany(t, code, 137);
      expect(await waitFor(async () => (await stats(t, code)).total === 137)).toBe(true);
      expect(await drained(t)).toBe(true);
      const s = await stats(t, code);
      expect(s.total).toBe(137);
      expect(s.series.reduce((a: number, p: { clicks: number }) => a + p.clicks, 0)).toBe(137);
      expect(s.bots).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('keeps every click across a restart between the redirects and the flush', async () => {
    const dataDir = tempDataDir();
    // A flush interval far longer than the test: only the shutdown can move these clicks.
    const first = await startTestApp({ CLICKS_FLUSH_INTERVAL_MS: '60000' }, { dataDir });
    const code = await shorten(first);
    await redirectMany(first, code, 250);
    expect(first.runtime.container.clicks?.pending).toBe(250);
    await first.close({ keepData: true });

    const second = await startTestApp({}, { dataDir });
    try {
      expect(await waitFor(async () => (await stats(second, code)).total === 250)).toBe(true);
      expect(await drained(second)).toBe(true);
      expect((await stats(second, code)).total).toBe(250);
    } finally {
      await second.close();
    }
  });

  it('counts bots and HEAD requests apart, and breaks clicks down by referrer, browser, OS and device', async () => {
    const t = await startTestApp();
    try {
      const code = await shorten(t);
      await redirectMany(t, code, 3, { 'user-agent': BROWSER_UA, referer: 'https://news.example.org/item?id=1' });
      await redirectMany(t, code, 2, { 'user-agent': PHONE_UA });
      await redirectMany(t, code, 4, { 'user-agent': BOT_UA });
      await redirectMany(t, code, 1, {});
      const head = await t.runtime.app.inject({ method: 'HEAD', url: `/${code}`, headers: { 'user-agent': BROWSER_UA } });
      expect(head.statusCode).toBe(302);
      expect(await waitFor(async () => {
        const s = await stats(t, code);
        return s.total === 5 && s.bots === 5 && s.heads === 1;
      })).toBe(true);
      const s = await stats(t, code, '?interval=hour');
      expect(s.referrers).toEqual([{ value: 'news.example.org', clicks: 3 }, { value: 'direct', clicks: 2 }]);
      expect(s.browsers).toEqual(expect.arrayContaining([{ value: 'Chrome', clicks: 3 }, { value: 'Mobile Safari', clicks: 2 }]));
      expect(s.os).toEqual(expect.arrayContaining([{ value: 'Windows', clicks: 3 }, { value: 'iOS', clicks: 2 }]));
      expect(s.devices).toEqual(expect.arrayContaining([{ value: 'desktop', clicks: 3 }, { value: 'mobile', clicks: 2 }]));
      // Two days of whole hours by default.
      expect(s.series).toHaveLength(48);
      expect(await t.runtime.app.inject({ url: `/${code}+` }).then((r) => r.body)).toContain('5 clicks');
    } finally {
      await t.close();
    }
  });

  it('never counts a redelivered batch twice', async () => {
    const t = await startTestApp();
    try {
      const code = await shorten(t);
      const batch = packClicks('12345', Array.from({ length: 10 }, () => ({ code, at: Date.now(), ip: '192.0.2.7', ua: BROWSER_UA, ref: '', head: false })));
      await t.runtime.container.queue.publish('clicks', [{ payload: batch }, { payload: batch }]);
      await t.runtime.container.queue.publish('clicks', [{ payload: batch }]);
      expect(await drained(t)).toBe(true);
      expect((await stats(t, code)).total).toBe(10);
    } finally {
      await t.close();
    }
  });

  it('does not count refused redirects', async () => {
    const t = await startTestApp();
    try {
      await t.runtime.app.inject({ url: '/no-such-code', headers: { 'user-agent': BROWSER_UA } });
      expect(t.runtime.container.clicks?.pending).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('validates the stats query and answers 404 for unknown links', async () => {
    const t = await startTestApp();
    try {
      const code = await shorten(t);
      const bad = async (q: string, c: string) => {
        const res = await t.runtime.app.inject({ url: `/api/v1/links/${code}/stats${q}` });
        expect(res.statusCode, q).toBe(400);
        expect(res.json().code, q).toBe(c);
      };
      await bad('?interval=minute', 'validation_failed');
      await bad('?from=yesterday', 'range_invalid');
      await bad('?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'range_invalid');
      await bad('?from=2020-01-01T00:00:00Z&interval=hour', 'range_too_large');
      expect((await t.runtime.app.inject({ url: '/api/v1/links/unknown-link/stats' })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('stores clicks from the worker thread in the default topology', async () => {
    const t = await startTestApp({ ANALYTICS_WORKER: 'thread' });
    try {
      const code = await shorten(t);
      await redirectMany(t, code, 40);
      expect(await waitFor(async () => (await stats(t, code)).total === 40, { timeoutMs: 20_000 })).toBe(true);
      const metrics = (await t.runtime.app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/clicks_stored_total 40/);
      expect((await t.runtime.app.inject({ url: '/readyz' })).json().checks.worker).toBe('ok');
    } finally {
      await t.close();
    }
  });
});
