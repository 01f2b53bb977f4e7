import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requirePrincipal, type UserDirectory } from '../accounts/index.js';
import { notificationView } from './notifications.model.js';
import { ListNotificationsQuery, MarkReadBody, NotificationPageView, Problem, UnreadView } from './notifications.schemas.js';
import type { NotificationsService } from './notifications.service.js';

/** `/api/v1/notifications`: the signed-in user's notifications and their read mark. */
export function notificationsRoutes(service: NotificationsService, users: Pick<UserDirectory, 'byIds'>): FastifyPluginAsync {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['feed'];
    const security = [{ bearer: [] }];

    app.get(
      '/api/v1/notifications',
      { schema: { tags, security, summary: 'Your notifications (mentions, replies, likes, follows), newest first', querystring: ListNotificationsQuery, response: { 200: NotificationPageView, 400: Problem, 401: Problem } } },
      async (request) => {
        const { userId } = requirePrincipal(request);
        const page = await service.list(userId, request.query);
        const actors = await users.byIds([...new Set(page.items.map((n) => n.actorId))]);
        return {
          items: page.items.map((n) => notificationView(n, actors.get(n.actorId)?.username ?? null, n.read)),
          nextCursor: page.nextCursor,
          unread: page.unread,
        };
      },
    );

    app.post(
      '/api/v1/notifications/read',
      { schema: { tags, security, summary: 'Mark your notifications read, up to one or all', body: MarkReadBody, response: { 200: UnreadView, 400: Problem, 401: Problem } } },
      async (request) => service.markRead(requirePrincipal(request).userId, request.body?.upTo),
    );
  };
}
