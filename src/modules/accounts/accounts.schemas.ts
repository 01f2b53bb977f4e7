import { Type, type Static } from '@sinclair/typebox';

// Schema limits only bound the work; the policy gives the precise answer (`password_too_long`...).
export const SignupBody = Type.Object({
  username: Type.String({ maxLength: 256, description: '3 to 30 of a-z, 0-9 and "_" (stored lower-case).' }),
  email: Type.String({ maxLength: 512, description: 'Stored lower-case; unique.' }),
  password: Type.String({ maxLength: 8192, description: 'At least 8 characters, at most 1,024 bytes; not a common password, not the username or email.' }),
});
export type SignupBody = Static<typeof SignupBody>;

export const LoginBody = Type.Object({
  login: Type.String({ maxLength: 512, description: 'Username or email.' }),
  password: Type.String({ maxLength: 8192 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const RefreshTokenBody = Type.Object({
  refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'For API clients; browsers rely on the __Host-refresh cookie.' })),
});
export type RefreshTokenBody = Static<typeof RefreshTokenBody>;

export const UserView = Type.Object({
  id: Type.String({ description: 'Snowflake id, decimal.' }),
  username: Type.String(),
  email: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const AuthSession = Type.Object({
  user: UserView,
  accessToken: Type.String({ description: 'JWT (EdDSA); send as `Authorization: Bearer <token>`.' }),
  expiresIn: Type.Integer({ description: 'Seconds the access token lives.' }),
});

export const RefreshAnswer = Type.Object({
  accessToken: Type.String(),
  expiresIn: Type.Integer(),
  refreshToken: Type.Optional(Type.String({ description: 'The rotated refresh token: present only when the request sent its token in the body.' })),
});

export const CreateApiKeyBody = Type.Object({
  name: Type.String({ maxLength: 512, description: '1 to 100 printable characters, to recognise the key later.' }),
});

export const CreatedApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  key: Type.String({ description: 'bp_ + 43 characters: shown only in this answer; store it now.' }),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ApiKeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the key.' }),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Updated at most once a minute.' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const ApiKeyList = Type.Object({ items: Type.Array(ApiKeyView) });

export const ApiKeyParams = Type.Object({ id: Type.String({ maxLength: 32 }) });

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.Literal('OKP'),
      crv: Type.Literal('Ed25519'),
      x: Type.String(),
      kid: Type.String(),
      alg: Type.Literal('EdDSA'),
      use: Type.Literal('sig'),
    }),
  ),
});

export { ProblemSchema as Problem } from '../../shared/errors/index.js';
