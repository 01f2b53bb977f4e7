import { Type } from '@sinclair/typebox';

export const ListNotificationsQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 40, description: 'nextCursor of the previous page.' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const NotificationView = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('mention'), Type.Literal('reply'), Type.Literal('like'), Type.Literal('follow'), Type.Literal('chat_message')]),
  actor: Type.Object({ id: Type.String(), username: Type.Union([Type.String(), Type.Null()], { description: 'null if the account is gone.' }) }),
  tweetId: Type.Optional(Type.String({ description: 'The mentioning or replying tweet, or the tweet liked; absent for follows and chat messages.' })),
  conversationId: Type.Optional(Type.String({ description: 'chat_message: the conversation with unread messages (one notification per conversation until read).' })),
  createdAt: Type.String({ format: 'date-time' }),
  read: Type.Boolean(),
});

export const NotificationPageView = Type.Object({
  items: Type.Array(NotificationView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  unread: Type.Integer({ description: 'Unread notifications, counted up to 1000.' }),
});

export const MarkReadBody = Type.Union(
  [
    Type.Null(),
    Type.Object(
      { upTo: Type.Optional(Type.String({ maxLength: 40, description: 'Mark read up to this notification id (inclusive); all when absent.' })) },
      { additionalProperties: false },
    ),
  ],
);

export const UnreadView = Type.Object({ unread: Type.Integer() });

export { ProblemSchema as Problem } from '../../shared/errors/index.js';
