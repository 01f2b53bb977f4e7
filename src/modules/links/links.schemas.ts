import { Type, type Static } from '@sinclair/typebox';

export const CodeParams = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 65, description: 'Short code or alias' }),
});

export const CreateLinkBody = Type.Object({
  // Long inputs are refused by the URL policy with a stable `url_too_long` code, not by the schema.
  url: Type.String({ maxLength: 65_536, description: 'Target: an absolute http(s) URL without credentials.' }),
  alias: Type.Optional(Type.String({ maxLength: 256, description: 'Custom code: 3-64 of A-Z a-z 0-9 _ -, not a reserved word.' })),
  expiresAt: Type.Optional(Type.String({ maxLength: 64, description: 'ISO 8601 date-time after which the link answers 410 Gone.' })),
  redirect: Type.Optional(Type.Union([Type.Literal(301), Type.Literal(302)], { description: '302 (default) keeps every click counted; 301 lets browsers cache it.' })),
  publicStats: Type.Optional(Type.Boolean({ description: 'Statistics readable by anyone; default false: by the owner only (a link made signed out has no owner: its statistics are public).' })),
});
export type CreateLinkBody = Static<typeof CreateLinkBody>;

export const LinkView = Type.Object({
  code: Type.String(),
  shortUrl: Type.String(),
  url: Type.String(),
  redirect: Type.Union([Type.Literal(301), Type.Literal(302)]),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  publicStats: Type.Boolean({ description: 'Whether anyone may read the statistics (else the owner only).' }),
});
export type LinkView = Static<typeof LinkView>;

export const LinkPageView = Type.Object({ items: Type.Array(LinkView), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const ListLinksQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'Only links whose code or target contains this (case-insensitive).' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});

export const UpdateLinkBody = Type.Object(
  {
    url: Type.Optional(Type.String({ maxLength: 65_536 })),
    expiresAt: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 64 })], { description: 'ISO 8601 date-time, or null: never expires.' })),
    redirect: Type.Optional(Type.Union([Type.Literal(301), Type.Literal(302)])),
    publicStats: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1, additionalProperties: false },
);

export const QrQuery = Type.Object({
  format: Type.Union([Type.Literal('svg'), Type.Literal('png')], { default: 'svg' }),
  size: Type.Integer({ minimum: 64, maximum: 2048, default: 256, description: 'Width in pixels (png), rounded to a multiple of 64, at most 1024.' }),
});

export { ProblemSchema as Problem } from '../../shared/errors/index.js';
