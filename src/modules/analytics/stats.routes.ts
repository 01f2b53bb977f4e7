import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { StatsService } from './stats.service.js';

export interface StatsRoutesOptions {
  stats: StatsService;
  /** Throws the links module's 404 when the code does not exist, 401/403 when `userId` (null: anonymous) may not read its statistics. */
  assertReadable: (code: string, userId: string | null) => Promise<void>;
}

const CountRows = Type.Array(Type.Object({ value: Type.String(), clicks: Type.Integer() }));
const StatsView = Type.Object({
  code: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  interval: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
  total: Type.Integer({ description: 'Human clicks (GET requests not made by bots) in the range.' }),
  bots: Type.Integer({ description: 'Requests from bots, counted apart.' }),
  heads: Type.Integer({ description: 'HEAD requests from non-bots, counted apart.' }),
  series: Type.Array(Type.Object({ t: Type.String({ format: 'date-time' }), clicks: Type.Integer() })),
  referrers: CountRows,
  browsers: CountRows,
  os: CountRows,
  devices: CountRows,
});

/** `GET /api/v1/links/{code}/stats`, answered from the rollups. */
export async function statsRoutes(fastify: FastifyInstance, options: StatsRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/v1/links/:code/stats',
    {
      schema: {
        tags: ['analytics'],
        summary: 'Click statistics of a link',
        params: Type.Object({ code: Type.String({ minLength: 1, maxLength: 64 }) }),
        querystring: Type.Object({
          from: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601 start (default: 2 days or 30 days before `to`).' })),
          to: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601 end (default: now).' })),
          interval: Type.Union([Type.Literal('hour'), Type.Literal('day')], { default: 'day' }),
        }),
        security: [{ bearer: [] }, {}],
        response: { 200: StatsView },
      },
    },
    async (request) => {
      await options.assertReadable(request.params.code, request.principal?.userId ?? null);
      return options.stats.stats(request.params.code, request.query);
    },
  );
}
