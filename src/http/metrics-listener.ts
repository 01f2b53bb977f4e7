import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Metrics } from '../observability/metrics.js';
import { NotFoundError } from '../shared/errors/index.js';
import { registerErrorHandlers } from './error-handler.js';

/** One role's metrics, as the metrics listener serves them. */
export interface MetricsOfRole {
  readonly role: string;
  readonly metrics: Metrics;
}

/**
 * The separate metrics listener (METRICS_PORT on METRICS_HOST): `/metrics` is the public role's
 * (the first of `roles`), `/metrics/<role>` each role's, since a gateway and an API sharing a
 * process keep two registries whose families would collide in one text. No credentials: whoever
 * reaches this interface is the scraper, so bind it where only the scraper does.
 */
export async function buildMetricsListener(roles: readonly MetricsOfRole[]): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  registerErrorHandlers(app);
  const send = async (of: MetricsOfRole | undefined, reply: FastifyReply) => {
    if (of === undefined) throw new NotFoundError(`No role here by that name (roles: ${roles.map((r) => r.role).join(', ')})`, 'role_not_found');
    return reply.type(of.metrics.contentType).send(await of.metrics.render());
  };
  app.get('/metrics', async (_request, reply) => send(roles[0], reply));
  app.get('/metrics/:role', { schema: { params: Type.Object({ role: Type.String({ maxLength: 20 }) }) } }, async (request, reply) =>
    send(roles.find((r) => r.role === (request.params as { role: string }).role), reply),
  );
  await app.ready();
  return app;
}
