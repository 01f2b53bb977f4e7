import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, sumRequests } from '../src/cluster/cluster.js';
import { gzipSync } from 'node:zlib';
import { nginxConfig } from '../src/cluster/nginx-config.js';
import { deleteTrackedQueues, TrackedQueue } from '../src/platform/queue/rabbitmq/testing/rabbitmq-test-kit.js';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { SERVICES, servicesRequired, shouldRun } from './helpers/services.js';
import { BROWSER_UA, tempDataDir, waitFor } from './helpers/test-app.js';
import { freePort } from './helpers/free-port.js';

/**
 * The scaled topology as separate processes: a gateway in front of two API processes and a worker,
 * on PostgreSQL, Redis and RabbitMQ; then a real nginx in front of the same two API processes.
 */
const NGINX = '/usr/sbin/nginx';
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const run = postgres.available && (await shouldRun('redis')) && (await shouldRun('rabbitmq'));
if (run && servicesRequired && !existsSync(NGINX)) throw new Error(`${NGINX} is missing: .ci/run installs Debian's nginx-light`);

describe.runIf(run)('local cluster: gateway + 2 API + worker processes', () => {
  let database: TestDatabase;
  let cluster: Cluster;
  const prefix = `bpt${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    database = await postgres.create();
    cluster = await Cluster.start({
      basePort: 0,
      apis: 2,
      workers: 1,
      dataDir: tempDataDir(),
      restart: false,
      env: {
        DATABASE_URL: SERVICES.postgres,
        DATABASE_SCHEMA: database.address.slice('postgres:'.length),
        REDIS_URL: SERVICES.redis,
        REDIS_PREFIX: `${prefix}:`,
        AMQP_URL: SERVICES.rabbitmq,
        AMQP_PREFIX: prefix,
        PUBLIC_URL: 'http://sho.rt',
        PASSWORD_HASH_MEMORY_KIB: '8192',
        ACCESS_LOG: 'off',
        RATE_LIMIT_GLOBAL: 'off',
        RATE_LIMIT_CREATE: 'off',
        RATE_LIMIT_PROBE: 'off',
        CLICKS_FLUSH_INTERVAL_MS: '50',
        // Fast detection and readmission, so that the kill test is short.
        GATEWAY_HEALTH_INTERVAL_MS: '200',
        GATEWAY_HEALTH_TIMEOUT_MS: '500',
        GATEWAY_EJECT_MS: '1000',
        GATEWAY_SLOW_START_MS: '1000',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    await database?.dispose();
    TrackedQueue.prefixes.add(prefix);
    for (const topic of ['clicks', 'feed.fanout', 'feed.search', 'feed.notifications']) TrackedQueue.topics.add(topic);
    await deleteTrackedQueues();
  }, 60_000);

  const gateway = () => cluster.gateway.address!;
  const running = () => cluster.apis.filter((p) => p.state === 'up');
  const apiRequests = async () => Promise.all(running().map(async (p) => sumRequests(await (await fetch(`${p.address}/metrics`)).text())));

  it('serves the API through the gateway, and the worker process stores the clicks', async () => {
    const created = await fetch(`${gateway()}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/through-the-gateway' }) });
    expect(created.status).toBe(201);
    const { code } = (await created.json()) as { code: string };
    const redirect = await fetch(`${gateway()}/${code}`, { redirect: 'manual', headers: { 'user-agent': BROWSER_UA } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('https://example.com/through-the-gateway');
    expect(redirect.headers.get('x-request-id')).toMatch(/.+/);
    // Clicks are stored by the worker process: the stats (from either API process) see them.
    const total = async () => ((await (await fetch(`${gateway()}/api/v1/links/${code}/stats`)).json()) as { total: number }).total;
    expect(await waitFor(async () => (await total()) === 1, { timeoutMs: 15_000, intervalMs: 100 })).toBe(true);
    const unknown = await fetch(`${gateway()}/api/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('spreads requests over both API processes', async () => {
    const before = await apiRequests();
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 25; i++) expect((await fetch(`${gateway()}/api/v1/users/nobody`)).status).toBe(404);
    }));
    const after = await apiRequests();
    const served = after.map((n, i) => n - before[i]!);
    expect(served.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(200);
    for (const n of served) expect(n).toBeGreaterThan(40);
  });

  it('keeps answering when an API process is killed under load, ejects it, and readmits it after restart', async () => {
    const created = await fetch(`${gateway()}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/kill' }) });
    const { code } = (await created.json()) as { code: string };
    const victim = cluster.apis[1]!;
    const results = { ok: 0, failed: [] as string[], postsOk: 0, postsFailed: 0 };
    let stop = false;
    // The load goes on until the restarted process has been readmitted and watched (stop), however
    // long its restart takes on a loaded machine (15 s seen); the deadline only bounds the loop.
    const deadline = Date.now() + 70_000;
    const load = Array.from({ length: 6 }, async (_, worker) => {
      for (let i = 0; !stop && Date.now() < deadline; i++) {
        if (worker === 0 && i % 4 === 0) {
          // A POST is not repeated once sent: the few in flight on the killed process may fail.
          const r = await fetch(`${gateway()}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `https://example.com/p${i}` }) }).catch(() => undefined);
          if (r?.status === 201) results.postsOk++;
          else results.postsFailed++;
          continue;
        }
        const r = await fetch(`${gateway()}/${code}`, { redirect: 'manual' }).catch((e: Error) => e);
        if (r instanceof Error) results.failed.push(r.message);
        else if (r.status === 302) results.ok++;
        else results.failed.push(`${r.status} ${await r.text()}`);
      }
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await victim.kill('SIGKILL');
    const gatewayMetrics = async () => (await fetch(`${gateway()}/metrics`)).text();
    const upstream = new URL(victim.address!).host;
    const out = new RegExp(`gateway_upstream_healthy\\{upstream="${upstream.replace(/\./g, '\\.')}"\\} 0`);
    expect(await waitFor(async () => out.test(await gatewayMetrics()), { timeoutMs: 5_000, intervalMs: 100 })).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    await victim.start();
    const back = new RegExp(`gateway_upstream_healthy\\{upstream="${upstream.replace(/\./g, '\\.')}"\\} 1`);
    expect(await waitFor(async () => back.test(await gatewayMetrics()), { timeoutMs: 10_000, intervalMs: 100 })).toBe(true);
    // Readmitted: the restarted process takes requests again.
    const servedBefore = sumRequests(await (await fetch(`${victim.address}/metrics`)).text());
    await new Promise((r) => setTimeout(r, 2_000));
    stop = true;
    await Promise.all(load);
    const servedAfter = sumRequests(await (await fetch(`${victim.address}/metrics`)).text());
    expect(results.failed).toEqual([]);
    expect(results.ok).toBeGreaterThan(200);
    // The requests the dead process had in hand, or that found its port closed, went to the other.
    const retried = (await gatewayMetrics()).split('\n').filter((l) => /^gateway_retries_total\{reason="(connect_error|connection_lost)"\}/.test(l));
    expect(retried.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBeGreaterThan(0);
    expect(servedAfter - servedBefore).toBeGreaterThan(20);
    expect(results.postsOk).toBeGreaterThan(10);
    expect(results.postsFailed).toBeLessThanOrEqual(1);
  }, 90_000);

  it('adds an API process that announces itself, and drops it when it stops', async () => {
    const extra = await cluster.addApi();
    const upstream = new URL(extra.address!).host;
    const inPool = async () => (await (await fetch(`${gateway()}/metrics`)).text()).includes(`gateway_upstream_healthy{upstream="${upstream}"} 1`);
    expect(await waitFor(inPool, { timeoutMs: 10_000, intervalMs: 100 })).toBe(true);
    // A newcomer's share ramps up over the slow-start window (GATEWAY_SLOW_START_MS, 1 s here).
    await new Promise((r) => setTimeout(r, 1_200));
    const served = async () => sumRequests(await (await fetch(`${extra.address}/metrics`)).text());
    await Promise.all(Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 20; i++) expect((await fetch(`${gateway()}/api/v1/users/nobody`)).status).toBe(404);
    }));
    expect(await served()).toBeGreaterThan(10);
    // A graceful stop withdraws it from the registry: requests keep succeeding meanwhile.
    const stopping = extra.kill('SIGTERM');
    for (let i = 0; i < 30; i++) expect((await fetch(`${gateway()}/api/v1/users/nobody`)).status).toBe(404);
    await stopping;
    expect(await waitFor(async () => !(await (await fetch(`${gateway()}/metrics`)).text()).includes(`gateway_upstream_healthy{upstream="${upstream}"}`), { timeoutMs: 10_000, intervalMs: 100 })).toBe(true);
  }, 60_000);

  it('works the same behind a real nginx with the generated configuration', async () => {
    if (!existsSync(NGINX)) return;
    const dir = tempDataDir();
    mkdirSync(join(dir, 'tmp'));
    // The web app's assets as the build leaves them: a hashed file and its precompressed copy.
    const assets = join(dir, 'assets');
    mkdirSync(assets);
    // nginx's workers read them as an unprivileged user.
    chmodSync(dir, 0o755);
    const script = 'console.log("hello from a hashed asset");\n'.repeat(50);
    writeFileSync(join(assets, 'app-AbCd1234.js'), script);
    writeFileSync(join(assets, 'app-AbCd1234.js.gz'), gzipSync(script));
    const port = await freePort();
    const upstreams = running().map((p) => {
      const u = new URL(p.address!);
      return { address: u.host, host: u.hostname, port: Number(u.port), weight: 1, backup: false };
    });
    writeFileSync(
      join(dir, 'nginx.conf'),
      nginxConfig({ upstreams, listenPort: port, policy: 'least-connections', maxFails: 3, failTimeoutSeconds: 5, keepaliveConnections: 16, timeoutSeconds: 10, limit: { ratePerSecond: 20, burst: 10, delay: 'nodelay' }, staticDir: assets, user: undefined, workerProcesses: 1 }),
    );
    const nginx: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    nginx.stderr!.on('data', (d) => (stderr += String(d)));
    try {
      const base = `http://127.0.0.1:${port}`;
      expect(await waitFor(async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.status === 200, { timeoutMs: 5_000 }), stderr).toBe(true);
      // Static assets from disk, precompressed, cached for a year.
      const asset = await fetch(`${base}/assets/app-AbCd1234.js`, { headers: { 'accept-encoding': 'gzip' } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-encoding')).toBe('gzip');
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(await asset.text()).toBe(script);
      const created = await fetch(`${base}/api/v1/links`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://example.com/nginx' }) });
      expect(created.status).toBe(201);
      const { code } = (await created.json()) as { code: string };
      await new Promise((r) => setTimeout(r, 1_000));
      const before = await apiRequests();
      const statuses = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/${code}`, { redirect: 'manual' }).then((r) => r.status)));
      expect(statuses.every((s) => s === 302)).toBe(true);
      const after = await apiRequests();
      expect(after.map((n, i) => n - before[i]!).every((n) => n > 0)).toBe(true);
      // limit_req: a burst past rate + burst is refused with 429, as our leaky bucket does.
      await new Promise((r) => setTimeout(r, 1_000));
      const burst = await Promise.all(Array.from({ length: 40 }, () => fetch(`${base}/${code}`, { redirect: 'manual' }).then((r) => r.status)));
      expect(burst.filter((s) => s === 429).length).toBeGreaterThan(10);
      expect(burst.filter((s) => s === 302).length).toBeGreaterThanOrEqual(10);
    } finally {
      if (nginx.exitCode === null && nginx.signalCode === null) {
        nginx.kill('SIGQUIT');
        await new Promise((r) => nginx.once('exit', r));
      }
    }
  }, 30_000);
});
