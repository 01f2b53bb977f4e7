import { Type, type Static } from '@sinclair/typebox';
import { MAX_QUERY_LENGTH } from './search.query.js';

export const SearchQuerystring = Type.Object({
  // Longer queries are refused by the parser with a stable `search_query_too_long`, not by the schema.
  q: Type.String({ maxLength: 4 * MAX_QUERY_LENGTH, description: `Words (all must match), \`#tag\` for one exact hashtag, or a user name prefix with type=users; at most ${MAX_QUERY_LENGTH} characters.` }),
  type: Type.Union([Type.Literal('tweets'), Type.Literal('users')], { default: 'tweets' }),
  cursor: Type.Optional(Type.String({ maxLength: 300 })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});
export type SearchQuerystring = Static<typeof SearchQuerystring>;

export const HighlightView = Type.Object({ start: Type.Integer(), end: Type.Integer() }, { description: 'A matched span of `text`, in UTF-16 code units.' });

export const TweetHitView = Type.Object(
  {
    id: Type.String(),
    authorId: Type.String(),
    author: Type.Union([Type.String(), Type.Null()], { description: 'User name of the author; null if the account is gone.' }),
    text: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    highlights: Type.Optional(Type.Array(HighlightView)),
  },
  { additionalProperties: true, description: 'A tweet (as the feed renders it when hydrated, plus `highlights`).' },
);

export const UserHitView = Type.Object({ id: Type.String(), username: Type.String(), createdAt: Type.String({ format: 'date-time' }) });

export const SearchPageView = Type.Object({
  // Tweets are hydrated by the feed module, whose shape this module does not own: not re-serialised here.
  items: Type.Array(Type.Unknown(), { description: 'type=tweets: TweetHit; type=users: UserHit.' }),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export { ProblemSchema as Problem } from '../../shared/errors/index.js';
