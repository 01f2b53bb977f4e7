import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { QueuePort } from '../platform/queue/index.js';
import { ForbiddenError, NotFoundError, ProblemSchema as Problem, UnauthorizedError } from '../shared/errors/index.js';

export interface QueueAdminOptions {
  queue: QueuePort;
  /** The topics this deployment consumes: the only ones listed or replayed. */
  topics: readonly string[];
  /** Whether a user holds the operator role (on their record, set by `blueprint users:role`). */
  isOperator: (userId: string) => Promise<boolean>;
  /** Told of every replay (the audit trail: who, which topic, how many). */
  onReplay: (entry: { username: string; topic: string; ids: readonly string[] | 'all'; replayed: number }) => void;
}

const TopicParams = Type.Object({ topic: Type.String({ minLength: 1, maxLength: 100 }) });
const DeadLetterView = Type.Object({
  id: Type.String(),
  key: Type.Union([Type.String(), Type.Null()]),
  payload: Type.Unknown(),
  attempts: Type.Integer(),
  lastError: Type.String(),
  publishedAt: Type.String({ format: 'date-time' }),
  failedAt: Type.String({ format: 'date-time' }),
});

/**
 * Dead letters for operators (the console's replay): list a topic's, oldest first, and put them
 * back on their topic, as `blueprint queue:dead-letters` and `queue:replay` do on the command line.
 * Payloads are users' data: only signed-in users with the operator role see them.
 */
export const queueAdminRoutes: FastifyPluginAsync<QueueAdminOptions> = async (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['operations'];
  const security = [{ bearer: [] }];
  const operator = async (request: FastifyRequest): Promise<string> => {
    const principal = request.principal;
    if (principal == null) throw new UnauthorizedError();
    if (!(await options.isOperator(principal.userId))) throw new ForbiddenError('Only operators (`blueprint users:role NAME operator`) may read or replay dead letters', 'not_operator');
    return principal.username;
  };
  const topicOf = (topic: string): string => {
    if (!options.topics.includes(topic)) throw new NotFoundError(`No queue topic "${topic}" here (topics: ${options.topics.join(', ')})`, 'topic_not_found');
    return topic;
  };

  app.get(
    '/api/v1/admin/queues/:topic/dead-letters',
    {
      schema: {
        tags,
        security,
        summary: 'Dead letters of a topic, oldest first (operators)',
        params: TopicParams,
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }), after: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: Type.Object({ items: Type.Array(DeadLetterView), nextCursor: Type.Union([Type.String(), Type.Null()]) }), 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      await operator(request);
      const { limit, after } = request.query;
      const letters = await options.queue.listDeadLetters(topicOf(request.params.topic), { limit, ...(after === undefined ? {} : { after }) });
      return {
        items: letters.map((d) => ({ id: d.id, key: d.key, payload: d.payload, attempts: d.attempts, lastError: d.lastError, publishedAt: new Date(d.publishedAt).toISOString(), failedAt: new Date(d.failedAt).toISOString() })),
        nextCursor: letters.length === limit ? letters.at(-1)!.id : null,
      };
    },
  );

  app.post(
    '/api/v1/admin/queues/:topic/dead-letters/replay',
    {
      schema: {
        tags,
        security,
        summary: 'Put dead letters back on their topic: those named, or all (operators)',
        params: TopicParams,
        body: Type.Object({ ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ replayed: Type.Integer() }), 401: Problem, 403: Problem, 404: Problem },
      },
      // `curl -X POST` with no body replays all: an absent body is an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const username = await operator(request);
      const topic = topicOf(request.params.topic);
      const ids = request.body.ids;
      const replayed = await options.queue.replayDeadLetters(topic, ids);
      options.onReplay({ username, topic, ids: ids ?? 'all', replayed });
      return { replayed };
    },
  );
};
