import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Notifications } from '../notifications/index.js';
import { NotFoundError } from '../../shared/errors/index.js';
import { requireScope } from './mastodon.auth.js';
import type { MastodonRoutesDeps } from './mastodon.accounts.routes.js';
import { NOTIFICATION_TYPES } from './mastodon.entities.js';
import { edges, readPage, setLinkHeader } from './mastodon.pagination.js';
import { IdParams, PageQuery } from './mastodon.schemas.js';

const tags = ['mastodon'];
const security = [{ bearer: [] }];

/** Mastodon's notification routes only answer OAuth tokens at `/api/v1/notifications` (see index.ts). */
export const MASTODON_CLIENT = { client: 'mastodon' } as const;

/** `/api/v1/notifications*`: list, clear, dismiss. */
export function notificationsRoutes(deps: MastodonRoutesDeps & { notifications: Notifications }) {
  const { feed, views, notifications, publicUrl } = deps;
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/api/v1/notifications', { constraints: MASTODON_CLIENT, schema: { tags, security, summary: 'Notifications, newest first (Mastodon; for OAuth tokens: the native route answers the rest)', querystring: PageQuery } }, async (request, reply) => {
      const { userId } = requireScope(request, 'read:notifications');
      const query = request.query as Record<string, unknown>;
      const only = [query['types[]'] ?? query.types].flat().filter((t): t is string => typeof t === 'string');
      const excluded = new Set([query['exclude_types[]'] ?? query.exclude_types].flat().filter((t): t is string => typeof t === 'string'));
      const wanted = (type: string) => (only.length === 0 || only.includes(type)) && !excluded.has(type);
      const items = await readPage(
        async (limit, maxId) => {
          const page = await notifications.service.list(userId, { limit, cursor: maxId });
          return { items: page.items, more: page.nextCursor !== null };
        },
        request.query,
        { limit: 40, max: 80 },
      );
      setLinkHeader(reply, request, publicUrl, edges(items));
      const shown = items.flatMap((n) => {
        const type = NOTIFICATION_TYPES[n.kind];
        return type !== null && wanted(type) ? [{ ...n, type }] : [];
      });
      const accounts = new Map((await views.accountsById([...new Set(shown.map((n) => n.actorId))])).map((a) => [a.id, a]));
      const statuses = new Map((await views.statuses(await feed.tweetsByIds(shown.flatMap((n) => (n.tweetId === null ? [] : [n.tweetId]))), userId)).map((s) => [s.id, s]));
      return shown.flatMap((n) => {
        const account = accounts.get(n.actorId);
        const status = n.tweetId === null ? undefined : statuses.get(n.tweetId);
        // A notification whose actor or status is gone is not shown (Mastodon drops them too).
        if (account === undefined || (n.tweetId !== null && status === undefined)) return [];
        return [{ id: n.id, type: n.type, created_at: new Date(n.createdAt).toISOString(), account, ...(status === undefined ? {} : { status }) }];
      });
    });

    app.post('/api/v1/notifications/clear', { schema: { tags, security, summary: 'Delete all your notifications (Mastodon)' } }, async (request) => {
      await notifications.service.clear(requireScope(request, 'write:notifications').userId);
      return {};
    });

    app.post('/api/v1/notifications/:id/dismiss', { schema: { tags, security, summary: 'Delete one notification (Mastodon)', params: IdParams } }, async (request) => {
      const { userId } = requireScope(request, 'write:notifications');
      if (!(await notifications.service.dismiss(userId, request.params.id))) throw new NotFoundError('Record not found', 'notification_not_found');
      return {};
    });
  };
}
