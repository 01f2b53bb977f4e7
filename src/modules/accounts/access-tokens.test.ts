import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock/index.js';
import { AccessTokens, AccessTokenVerifier } from './access-tokens.js';
import { SigningKeys, rotateSigningKeys } from './signing-keys.js';
import { forgeEdDsa, forgeHs256, forgeNone, payloadOf, tamperPayload } from './testing/forge.js';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'blueprint-api';

describe('AccessTokens', () => {
  let dataDir: string;
  let clock: ManualClock;
  let keys: SigningKeys;
  let tokens: AccessTokens;
  const subject = { userId: '123456789012345678', username: 'alice', sessionId: '42' };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tokens-test-'));
    clock = new ManualClock(Date.UTC(2026, 2, 1, 12));
    keys = await SigningKeys.open({ dataDir, now: () => clock.now() });
    tokens = new AccessTokens({ keys, clock, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900 });
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  /** A well-formed, validly signed payload at the clock's time, to be varied by each attack. */
  const claims = (over: Record<string, unknown> = {}) => {
    const now = Math.floor(clock.now() / 1000);
    return { iss: ISSUER, aud: AUDIENCE, sub: subject.userId, preferred_username: 'alice', iat: now, nbf: now, exp: now + 900, jti: 'j1', ...over };
  };
  const header = (over: Record<string, unknown> = {}) => ({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.current().kid, ...over });
  const refusal = async (token: string) => {
    try {
      await tokens.verify(token);
    } catch (error) {
      return (error as { code?: string }).code;
    }
    return 'accepted';
  };

  it('signs EdDSA tokens with kid, typ and every required claim, and verifies them', async () => {
    const token = await tokens.sign(subject);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.current().kid });
    const payload = payloadOf(token);
    const now = clock.now() / 1000;
    expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: subject.userId, iat: now, nbf: now, exp: now + 900, preferred_username: 'alice', sid: '42' });
    expect(payload.jti).toEqual(expect.any(String));
    expect(await tokens.verify(token)).toMatchObject({ userId: subject.userId, username: 'alice', sessionId: '42', expiresAt: now + 900 });
    // A hand-made token with the same claims passes too: the forging helper is faithful.
    expect(await refusal(forgeEdDsa(header(), claims(), keys.current().privateKey))).toBe('accepted');
  });

  it('gives each token its own jti', async () => {
    const a = payloadOf(await tokens.sign(subject)).jti;
    const b = payloadOf(await tokens.sign(subject)).jti;
    expect(a).not.toBe(b);
  });

  it('refuses alg none', async () => {
    expect(await refusal(forgeNone(claims(), { kid: keys.current().kid }))).toBe('invalid_token');
  });

  it('refuses HS256 signed with the public key (key confusion)', async () => {
    const jwk = keys.current().publicJwk;
    const raw = Buffer.from(jwk.x, 'base64url');
    const pem = keys.current().publicKey.export({ format: 'pem', type: 'spki' });
    for (const secret of [raw, pem, jwk.x, JSON.stringify(jwk)]) {
      expect(await refusal(forgeHs256(claims(), secret, { kid: jwk.kid }))).toBe('invalid_token');
    }
  });

  it('refuses a tampered payload', async () => {
    const token = await tokens.sign(subject);
    expect(await refusal(tamperPayload(token, (p) => ({ ...p, sub: '1' })))).toBe('invalid_token');
    expect(await refusal(tamperPayload(token, (p) => ({ ...p, exp: (p.exp as number) + 86_400 })))).toBe('invalid_token');
  });

  it('refuses expired tokens, with 5 s of clock tolerance', async () => {
    const token = await tokens.sign(subject);
    clock.advance(900_000 + 4_000);
    expect(await refusal(token)).toBe('accepted');
    clock.advance(2_000);
    expect(await refusal(token)).toBe('token_expired');
  });

  it('remembers a verified token for at most a minute, never past its expiry, and forgets one whose key went', async () => {
    let lookups = 0;
    let known = true;
    const verifier = new AccessTokenVerifier({
      findKey: async (kid) => {
        lookups++;
        return known ? (await keys.find(kid))?.publicKey : undefined;
      },
      clock,
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const token = await tokens.sign(subject);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(lookups).toBe(1);
    // The key is gone (removed from the key file, or from the JWKS): within a minute, the token is refused.
    known = false;
    clock.advance(59_000);
    expect((await verifier.verify(token)).userId).toBe(subject.userId);
    clock.advance(2_000);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'invalid_token' });
    known = true;
    // Cached, then expired: the cache never outlives exp (plus the tolerance).
    clock.advance(900_000 - 61_000 - 30_000);
    await verifier.verify(token);
    lookups = 0;
    clock.advance(34_000);
    expect((await verifier.verify(token)).userId).toBe(subject.userId);
    expect(lookups).toBe(0);
    clock.advance(2_000);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'token_expired' });
    // A forged token is never cached as valid.
    const forged = tamperPayload(token, (p) => ({ ...p, sub: '1' }));
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'invalid_token' });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses tokens not yet valid (nbf in the future)', async () => {
    const now = Math.floor(clock.now() / 1000);
    expect(await refusal(forgeEdDsa(header(), claims({ nbf: now + 60 }), keys.current().privateKey))).toBe('invalid_token');
    expect(await refusal(forgeEdDsa(header(), claims({ nbf: now + 4 }), keys.current().privateKey))).toBe('accepted');
  });

  it('refuses a wrong issuer or audience', async () => {
    const key = keys.current().privateKey;
    expect(await refusal(forgeEdDsa(header(), claims({ iss: 'https://evil.test' }), key))).toBe('invalid_token');
    expect(await refusal(forgeEdDsa(header(), claims({ aud: 'other-api' }), key))).toBe('invalid_token');
    expect(await refusal(forgeEdDsa(header(), claims({ aud: [AUDIENCE, 'other'] }), key))).toBe('accepted');
  });

  it('refuses an unknown or missing kid, and a key we did not issue', async () => {
    const key = keys.current().privateKey;
    expect(await refusal(forgeEdDsa(header({ kid: 'unknown' }), claims(), key))).toBe('invalid_token');
    expect(await refusal(forgeEdDsa({ alg: 'EdDSA', typ: 'at+jwt' }, claims(), key))).toBe('invalid_token');
    const stranger = generateKeyPairSync('ed25519').privateKey;
    expect(await refusal(forgeEdDsa(header(), claims(), stranger))).toBe('invalid_token');
  });

  it('refuses tokens missing a required claim, of another type, or with a malformed subject', async () => {
    const key = keys.current().privateKey;
    for (const missing of ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti', 'preferred_username']) {
      const c: Record<string, unknown> = claims();
      delete c[missing];
      expect(await refusal(forgeEdDsa(header(), c, key)), missing).toBe('invalid_token');
    }
    expect(await refusal(forgeEdDsa(header({ typ: 'JWT' }), claims(), key))).toBe('invalid_token');
    expect(await refusal(forgeEdDsa(header(), claims({ sub: 'alice' }), key))).toBe('invalid_token');
  });

  it('refuses garbage', async () => {
    for (const garbage of ['', 'a', 'a.b.c', 'x'.repeat(5000), '..', 'eyJhbGciOiJFZERTQSJ9..']) expect(await refusal(garbage), garbage).toBe('invalid_token');
  });

  it('verifies tokens of a key that was rotated out of signing but kept', async () => {
    const old = await tokens.sign(subject);
    await rotateSigningKeys(dataDir, { now: clock.now() + 1 });
    await keys.reload();
    const fresh = await tokens.sign(subject);
    expect(decodeProtectedHeader(fresh).kid).not.toBe(decodeProtectedHeader(old).kid);
    expect(await refusal(old)).toBe('accepted');
    expect(await refusal(fresh)).toBe('accepted');
  });
});
