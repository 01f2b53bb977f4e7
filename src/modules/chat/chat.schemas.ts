import { Type, type Static } from '@sinclair/typebox';
import { MAX_MEMBERS } from './chat.model.js';

export { ProblemSchema as Problem } from '../../shared/errors/index.js';

const exampleId = '7402893481920512001';
const id = (description: string) => Type.String({ pattern: '^[0-9]{1,20}$', description, examples: [exampleId] });
// Lengths are checked after NFC normalisation, in code points, with stable codes (text_too_long...): not by the schema.
const messageText = Type.String({ maxLength: 65_536, description: '1 to 4,000 characters (Unicode code points after NFC normalisation, trimmed); line feeds allowed; @names of members are mentions.' });
const username = Type.String({ minLength: 1, maxLength: 64, description: 'User name (case-insensitive)', examples: ['alice'] });

export const ConversationParams = Type.Object({ id: id('Conversation id') });
export const MemberParams = Type.Object({ id: id('Conversation id'), username });
export const MessageParams = Type.Object({ id: id('Conversation id'), seq: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The message’s seq in its conversation' }) });
export const UsernameParams = Type.Object({ username });

export const UserView = Type.Object({ id: Type.String(), username: Type.String(), displayName: Type.String() }, { description: 'A user' });

export const MessageView = Type.Object(
  {
    id: Type.String({ examples: [exampleId] }),
    conversationId: Type.String(),
    seq: Type.Integer({ description: 'Creation position in the conversation: the same total order for every member' }),
    versionSeq: Type.Integer({ description: 'Seq of the last change (edit, delete); equals seq when never changed' }),
    author: UserView,
    text: Type.String({ description: "'' once deleted" }),
    replyTo: Type.Union([Type.Integer(), Type.Null()], { description: 'Seq of the message answered' }),
    mentions: Type.Array(Type.String(), { description: 'User names of the members mentioned' }),
    clientId: Type.String({ description: 'The sender’s idempotency id' }),
    createdAt: Type.String({ format: 'date-time' }),
    editedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    deleted: Type.Boolean({ description: 'A tombstone: the text is gone, the seq stays' }),
  },
  { description: 'A chat message' },
);

const kind = Type.Union([Type.Literal('direct'), Type.Literal('group')]);
const role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);

export const ConversationView = Type.Object(
  {
    id: Type.String({ examples: [exampleId] }),
    kind,
    title: Type.Union([Type.String(), Type.Null()], { description: 'Groups only' }),
    createdAt: Type.String({ format: 'date-time' }),
    lastSeq: Type.Integer({ description: 'The conversation’s event counter' }),
    members: Type.Array(
      Type.Object({ user: UserView, role, joinedAt: Type.String({ format: 'date-time' }), readSeq: Type.Integer(), deliveredSeq: Type.Integer() }),
      { description: 'Oldest first' },
    ),
  },
  { description: 'A conversation with its members' },
);

export const ConversationSummaryView = Type.Object(
  {
    id: Type.String(),
    kind,
    title: Type.Union([Type.String(), Type.Null()]),
    peer: Type.Optional(Type.Object(UserView.properties, { description: 'Direct conversations: the other member' })),
    members: Type.Integer({ description: 'How many members' }),
    lastSeq: Type.Integer(),
    lastMessage: Type.Union([MessageView, Type.Null()]),
    unread: Type.Integer({ description: 'Messages after your read mark, not yours, not deleted' }),
    readSeq: Type.Integer(),
    lastActivityAt: Type.String({ format: 'date-time' }),
  },
  { description: 'One of your conversations as the list shows it' },
);

export const ConversationPageView = Type.Object({
  items: Type.Array(ConversationSummaryView),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Opaque: pass it as cursor for the next page; null at the end.' }),
});

export const ListConversationsQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 48, description: 'nextCursor of the previous page' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});
export type ListConversationsQuery = Static<typeof ListConversationsQuery>;

export const CreateConversationBody = Type.Union(
  [
    Type.Object({ kind: Type.Literal('direct'), with: username }, { additionalProperties: false }),
    Type.Object(
      {
        kind: Type.Literal('group'),
        title: Type.String({ maxLength: 1_000, description: '1 to 100 characters' }),
        members: Type.Array(username, { maxItems: MAX_MEMBERS - 1, description: `The others (at most ${MAX_MEMBERS - 1}); you are the owner` }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'A direct conversation (one per pair) or a group' },
);
export type CreateConversationBody = Static<typeof CreateConversationBody>;

export const RenameBody = Type.Object({ title: Type.String({ maxLength: 1_000, description: '1 to 100 characters' }) }, { additionalProperties: false });
export const AddMembersBody = Type.Object({ usernames: Type.Array(username, { minItems: 1, maxItems: MAX_MEMBERS - 1 }) }, { additionalProperties: false });
export const RoleBody = Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) }, { additionalProperties: false });

export const HistoryQuery = Type.Object({
  before: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Messages with a lower seq (older), the newest of them' })),
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Messages with a higher seq (newer), the oldest of them' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});
export type HistoryQuery = Static<typeof HistoryQuery>;

export const MessagePageView = Type.Object({
  items: Type.Array(MessageView, { description: 'Ascending by seq' }),
  hasMore: Type.Boolean({ description: 'More messages beyond this page in the direction asked (older for before/latest, newer for after)' }),
});

export const SendBody = Type.Object(
  {
    text: messageText,
    clientId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Your idempotency id: a resend with the same one returns the stored message (200), never a second one' }),
    replyTo: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Seq of the message answered' })),
  },
  { additionalProperties: false },
);
export type SendBody = Static<typeof SendBody>;

export const EditBody = Type.Object({ text: messageText }, { additionalProperties: false });
export const ReadBody = Type.Object({ seq: Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Read up to this seq (a lower one than your mark changes nothing)' }) }, { additionalProperties: false });
export const ReadView = Type.Object({ readSeq: Type.Integer(), unread: Type.Integer() });
export const UserListView = Type.Object({ items: Type.Array(UserView) });
export const BlockView = Type.Object({ blocked: Type.Boolean() });
