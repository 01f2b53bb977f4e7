import { Type, type Static } from '@sinclair/typebox';

const exampleId = '7402893481920512001';

export const TweetIdParams = Type.Object({
  id: Type.String({ pattern: '^[0-9]{1,20}$', description: 'Tweet id (decimal snowflake)', examples: [exampleId] }),
});

export const UsernameParams = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64, description: 'User name (case-insensitive)', examples: ['alice'] }),
});

export const CreateTweetBody = Type.Object(
  {
    // Length is checked after NFC normalisation, in code points, with the stable code `tweet_too_long`.
    text: Type.String({ maxLength: 65_536, description: '1 to 280 characters (Unicode code points after NFC normalisation); @names and #tags are recognised.', examples: ['Hello @bob, read this #TypeScript thread'] }),
    replyTo: Type.Optional(Type.String({ maxLength: 32, description: 'Id of the live tweet this one answers.', examples: [exampleId] })),
  },
  { additionalProperties: false },
);
export type CreateTweetBody = Static<typeof CreateTweetBody>;

export const TweetView = Type.Object(
  {
    id: Type.String({ examples: [exampleId] }),
    authorId: Type.String({ examples: ['7402893390161723392'] }),
    author: Type.String({ description: 'User name of the author', examples: ['alice'] }),
    text: Type.String({ examples: ['Hello @bob, read this #TypeScript thread'] }),
    createdAt: Type.String({ format: 'date-time' }),
    likeCount: Type.Integer({ minimum: 0 }),
    replyCount: Type.Integer({ minimum: 0, description: 'Live replies' }),
    replyTo: Type.Union([Type.String(), Type.Null()]),
    likedByMe: Type.Optional(Type.Boolean({ description: 'Present when the request is signed in.' })),
  },
  { description: 'A tweet' },
);

const cursorDescription = 'Opaque: pass the previous page’s nextCursor; null when there is no next page.';

export const TweetPageView = Type.Object({
  items: Type.Array(TweetView),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: cursorDescription }),
});

export const PageQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 32, description: cursorDescription })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});
export type PageQuery = Static<typeof PageQuery>;

export const LikeView = Type.Object({ likeCount: Type.Integer({ minimum: 0, examples: [42] }) });
export const FollowView = Type.Object({ following: Type.Boolean({ examples: [true] }) });

export const ProfileView = Type.Object({
  id: Type.String(),
  username: Type.String({ examples: ['alice'] }),
  displayName: Type.String({ examples: ['alice'] }),
  followers: Type.Integer({ minimum: 0 }),
  following: Type.Integer({ minimum: 0 }),
  tweets: Type.Integer({ minimum: 0, description: 'Live tweets' }),
  createdAt: Type.String({ format: 'date-time' }),
});

export const UserSummaryView = Type.Object({ id: Type.String(), username: Type.String(), displayName: Type.String() });

export const UserPageView = Type.Object({
  items: Type.Array(UserSummaryView),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: cursorDescription }),
});

export { ProblemSchema as Problem } from '../../shared/errors/index.js';
