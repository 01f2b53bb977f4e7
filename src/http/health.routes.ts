import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import { assertMetricsAccess, type MetricsAccess } from './metrics-access.js';

/** A dependency check: resolves when the dependency answers. */
export type ReadinessCheck = () => Promise<void>;

export interface HealthOptions {
  metrics: Metrics;
  checks: Record<string, ReadinessCheck>;
  /** True once shutdown began: the instance asks to be taken out of rotation. */
  isDraining: () => boolean;
  /** Who may read `/metrics` here (metricsAccessFor). */
  metricsAccess: MetricsAccess;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz` (the process is up), `/readyz` (its dependencies answer), `/metrics` (Prometheus). */
export async function healthRoutes(app: FastifyInstance, options: HealthOptions): Promise<void> {
  const ops = { tags: ['operations'] };
  app.get('/healthz', { schema: { ...ops, summary: 'Liveness: the process answers.', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    { schema: { ...ops, summary: 'Readiness: every dependency answers and the instance is not shutting down.' } },
    async (_request, reply) => {
      const names = Object.keys(options.checks);
      const results = await Promise.all(names.map((n) => runCheck(options.checks[n]!)));
      const checks = Object.fromEntries(names.map((n, i) => [n, results[i]]));
      const draining = options.isDraining();
      const ready = !draining && results.every((r) => r === 'ok');
      if (ready) return reply.send({ status: 'ready', checks });
      return reply
        .code(503)
        .type('application/problem+json')
        .send({ type: 'https://blueprint.dev/problems/not_ready', title: 'Service Unavailable', status: 503, detail: draining ? 'Shutting down' : 'A dependency does not answer', code: 'not_ready', checks });
    },
  );

  app.get('/metrics', { config: { ownCredentials: true }, schema: { ...ops, summary: 'Prometheus metrics (open on a loopback listener; else METRICS_TOKEN or an operator).' } }, async (request, reply) => {
    await assertMetricsAccess(request, options.metricsAccess);
    const text = await options.metrics.render();
    return reply.type(options.metrics.contentType).send(text);
  });
}
