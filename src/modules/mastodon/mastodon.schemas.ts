import { Type, type Static } from '@sinclair/typebox';

const Id = Type.String({ maxLength: 24 });

export const IdParams = Type.Object({ id: Id });
export type IdParams = Static<typeof IdParams>;

/** Mastodon's paging query (strings: forms and queries carry no types). */
export const PageQuery = Type.Object(
  {
    max_id: Type.Optional(Id),
    since_id: Type.Optional(Id),
    min_id: Type.Optional(Id),
    // Clamped to each list's own maximum, as Mastodon does, rather than refused.
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  },
  { additionalProperties: true },
);
export type PageQuery = Static<typeof PageQuery>;

export const TimelineQuery = Type.Intersect([PageQuery, Type.Object({ local: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 })])), remote: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 })])) }, { additionalProperties: true })]);
export type TimelineQuery = Static<typeof TimelineQuery>;

/** Status creation: form or JSON. Media, polls and content warnings are not supported. */
export const CreateStatusBody = Type.Object(
  {
    status: Type.Optional(Type.String({ maxLength: 5_000 })),
    in_reply_to_id: Type.Optional(Type.Union([Id, Type.Null()])),
    media_ids: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 4 })),
    poll: Type.Optional(Type.Unknown()),
    sensitive: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 })])),
    spoiler_text: Type.Optional(Type.String({ maxLength: 1_000 })),
    visibility: Type.Optional(Type.String({ maxLength: 16 })),
    language: Type.Optional(Type.Union([Type.String({ maxLength: 16 }), Type.Null()])),
    scheduled_at: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  },
  { additionalProperties: true },
);
export type CreateStatusBody = Static<typeof CreateStatusBody>;

export const LookupQuery = Type.Object({ acct: Type.String({ minLength: 1, maxLength: 320 }) }, { additionalProperties: true });

export const RelationshipsQuery = Type.Object({ id: Type.Optional(Type.Union([Id, Type.Array(Id, { maxItems: 40 })])) }, { additionalProperties: true });

export const SearchQuery = Type.Intersect([
  Type.Object(
    {
      q: Type.String({ maxLength: 500 }),
      type: Type.Optional(Type.String({ maxLength: 16 })),
      offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
      resolve: Type.Optional(Type.Union([Type.Boolean(), Type.String({ maxLength: 8 })])),
    },
    { additionalProperties: true },
  ),
  PageQuery,
]);
export type SearchQuery = Static<typeof SearchQuery>;

export const TagParams = Type.Object({ tag: Type.String({ minLength: 1, maxLength: 100 }) });
