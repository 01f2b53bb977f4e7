import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICA_URL, replicaScript, replicaUnavailableReason } from '../src/platform/sql/replicas/testing/replica-server.js';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES, servicesRequired } from './helpers/services.js';
import { BROWSER_UA, startTestApp, waitFor, type TestApp } from './helpers/test-app.js';

/**
 * The runtime on PostgreSQL with a real streaming replica (scripts/pg-replica.sh): writes go to
 * the primary, link statistics are read on the replica, and the replica's lag and state show in
 * /metrics.
 */
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const unavailable = postgres.available ? await replicaUnavailableReason() : 'PostgreSQL does not answer';

describe.runIf(unavailable === undefined || servicesRequired)('read replicas in the runtime', () => {
  let database: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    if (unavailable !== undefined) throw new Error(`BLUEPRINT_REQUIRE_SERVICES=1, but the replica cannot be set up: ${unavailable}`);
    await replicaScript('start');
    database = await postgres.create();
    app = await startTestApp({
      DATABASE_URL: SERVICES.postgres,
      DATABASE_SCHEMA: database.address.slice('postgres:'.length),
      DATABASE_REPLICA_URLS: REPLICA_URL,
      DATABASE_REPLICA_PROBE_MS: '100',
    });
  }, 90_000);
  afterAll(async () => {
    await app?.close();
    await database?.dispose();
  });

  it('reads the statistics on the replica and reports its lag', async () => {
    const created = await app.runtime.app.inject({ method: 'POST', url: '/api/v1/links', payload: { url: 'https://example.com/replicated' } });
    expect(created.statusCode).toBe(201);
    const { code } = created.json() as { code: string };
    expect((await app.runtime.app.inject({ url: `/${code}`, headers: { 'user-agent': BROWSER_UA } })).statusCode).toBe(302);
    const metric = async (pattern: RegExp) => Number(pattern.exec((await app.runtime.app.inject({ url: '/metrics' })).body)?.[1] ?? Number.NaN);
    const replicaReads = () => metric(/^db_reads\{target="replica"\} (\d+)/m);
    const before = await replicaReads();
    // The click is stored on the primary by the consumer, and streamed to the replica the stats read.
    expect(await waitFor(async () => ((await app.runtime.app.inject({ url: `/api/v1/links/${code}/stats` })).json() as { total: number }).total === 1, { timeoutMs: 15_000, intervalMs: 100 })).toBe(true);
    expect(await replicaReads()).toBeGreaterThan(before);
    expect(await metric(/^db_replica_up\{replica="[^"]+"\} (\d)/m)).toBe(1);
    expect(await metric(/^db_replica_lag_seconds\{replica="[^"]+"\} ([\d.e-]+)/m)).toBeLessThan(2);
    const ready = (await app.runtime.app.inject({ url: '/readyz' })).json() as { checks: Record<string, string> };
    expect(ready.checks.database).toBe('ok');
  });
});
