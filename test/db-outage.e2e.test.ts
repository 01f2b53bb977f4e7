import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES } from './helpers/services.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';
import { BROWSER_UA, startTestApp, waitFor, type TestApp } from './helpers/test-app.js';

/**
 * PostgreSQL unreachable while clicks come in: redirects keep answering from the cache, the click
 * consumer waits for the database instead of spending its attempts, and every click is stored once
 * when it is back. PostgreSQL behind a loopback relay the test cuts; the queue is the embedded one.
 */
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;

describe.runIf(postgres.available)('a database outage under the consumers', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    database = await postgres.create();
    proxy = await startTcpProxy(SERVICES.postgres);
    t = await startTestApp({
      DATABASE_URL: proxy.via(SERVICES.postgres),
      DATABASE_SCHEMA: database.address.slice('postgres:'.length),
      // Two attempts: an outage that spent them would dead-letter within the test's seconds.
      QUEUE_MAX_ATTEMPTS: '2',
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await database?.dispose();
  });

  it('stores every click once after the outage, dead-lettering none', async () => {
    const created = await t.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/outage' } });
    expect(created.statusCode).toBe(201);
    const code = (created.json() as { code: string }).code;
    const total = async () => ((await t.runtime.app.inject({ url: `/api/v1/links/${code}/stats` })).json() as { total: number }).total;
    expect((await t.runtime.app.inject({ url: `/${code}`, headers: { 'user-agent': BROWSER_UA } })).statusCode).toBe(302);
    await waitFor(async () => (await total()) === 1, { timeoutMs: 20_000 });

    proxy.cut();
    for (let i = 0; i < 10; i++) {
      expect((await t.runtime.app.inject({ url: `/${code}`, headers: { 'user-agent': BROWSER_UA } })).statusCode).toBe(302);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await t.runtime.app.inject({ url: '/readyz' })).statusCode).toBe(503);
    // Long enough for two attempts and their backoff to fail.
    await new Promise((r) => setTimeout(r, 2_000));
    proxy.heal();

    const stored = await waitFor(async () => (await total()) === 11, { timeoutMs: 30_000, intervalMs: 100 });
    expect(stored, `clicks counted: ${await total()}`).toBe(true);
    expect((await t.runtime.container.queue.stats('clicks')).deadLettered).toBe(0);
  }, 90_000);
});
