import { Type, type Static } from '@sinclair/typebox';
import { ProblemSchema } from '../../shared/errors/index.js';

export const Problem = ProblemSchema;

const Str = (maxLength = 2048) => Type.String({ maxLength });

/** Mastodon's app registration (form or JSON); `redirect_uris` is a string of URIs or an array. */
export const RegisterAppBody = Type.Object(
  {
    client_name: Type.String({ minLength: 1, maxLength: 200 }),
    redirect_uris: Type.Union([Type.String({ minLength: 1, maxLength: 20_000 }), Type.Array(Str(), { minItems: 1, maxItems: 10 })]),
    scopes: Type.Optional(Str(1024)),
    website: Type.Optional(Str()),
  },
  { additionalProperties: true },
);
export type RegisterAppBody = Static<typeof RegisterAppBody>;

/** Mastodon's Application entity, with the credentials on registration. */
export const ApplicationView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  website: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Array(Type.String()),
  redirect_uri: Type.String(),
  redirect_uris: Type.Array(Type.String()),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String()),
  vapid_key: Type.String(),
});

/** Every parameter of the authorization endpoint, as query or form fields. */
export const AuthorizeParams = Type.Object(
  {
    response_type: Type.Optional(Str(64)),
    client_id: Type.Optional(Str(128)),
    redirect_uri: Type.Optional(Str()),
    scope: Type.Optional(Str(1024)),
    state: Type.Optional(Str(1024)),
    code_challenge: Type.Optional(Str(256)),
    code_challenge_method: Type.Optional(Str(32)),
    // The form's own fields.
    csrf: Type.Optional(Str(128)),
    decision: Type.Optional(Str(16)),
    login: Type.Optional(Str(320)),
    password: Type.Optional(Str(1024)),
  },
  { additionalProperties: true },
);
export type AuthorizeParams = Static<typeof AuthorizeParams>;

export const TokenBody = Type.Object(
  {
    grant_type: Type.Optional(Str(64)),
    code: Type.Optional(Str(256)),
    redirect_uri: Type.Optional(Str()),
    code_verifier: Type.Optional(Str(256)),
    refresh_token: Type.Optional(Str(256)),
    scope: Type.Optional(Str(1024)),
    username: Type.Optional(Str(320)),
    password: Type.Optional(Str(1024)),
    client_id: Type.Optional(Str(128)),
    client_secret: Type.Optional(Str(256)),
    token: Type.Optional(Str(4096)),
    token_type_hint: Type.Optional(Str(64)),
  },
  { additionalProperties: true },
);
export type TokenBody = Static<typeof TokenBody>;

export const TokenView = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  scope: Type.String(),
  created_at: Type.Integer(),
  expires_in: Type.Optional(Type.Integer()),
  refresh_token: Type.Optional(Type.String()),
});

export const AuthorizedAppView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  website: Type.Union([Type.String(), Type.Null()]),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String(),
});

export const GrantIdParams = Type.Object({ id: Type.String({ maxLength: 32 }) });
