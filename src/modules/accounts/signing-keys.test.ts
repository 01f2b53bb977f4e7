import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../platform/clock/index.js';
import { AccessTokens } from './access-tokens.js';
import { SigningKeys, generateSigningKey, jwkThumbprint, keyFilePath, rotateSigningKeys, signingKeyFromPem } from './signing-keys.js';

describe('signing keys', () => {
  let dataDir: string;
  let now: number;
  const open = () => SigningKeys.open({ dataDir, now: () => now });
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'keys-test-'));
    now = Date.UTC(2026, 0, 10);
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('computes RFC 7638 thumbprints as jose does', async () => {
    const key = generateSigningKey(now);
    const { d: _d, ...publicJwk } = key.privateJwk;
    expect(key.kid).toBe(await calculateJwkThumbprint(publicJwk));
    expect(jwkThumbprint(publicJwk)).toBe(key.kid);
  });

  it('generates a key file on first start (mode 0600) and loads the same key afterwards', async () => {
    const first = await open();
    const file = keyFilePath(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await open();
    expect(second.current().kid).toBe(first.current().kid);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(stored.version).toBe(1);
    expect(stored.keys).toHaveLength(1);
  });

  it('lets concurrent first starts agree on one key', async () => {
    const stores = await Promise.all(Array.from({ length: 8 }, () => open()));
    expect(new Set(stores.map((s) => s.current().kid)).size).toBe(1);
  });

  it('publishes public parts only', async () => {
    const keys = await open();
    const jwks = keys.jwks();
    expect(jwks.keys).toEqual([{ kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: keys.current().kid, alg: 'EdDSA', use: 'sig' }]);
    expect(JSON.stringify(jwks)).not.toContain('"d"');
  });

  it('rotates: the new key signs, the previous one still verifies and is published', async () => {
    const before = (await open()).current().kid;
    now += 60_000;
    const result = await rotateSigningKeys(dataDir, { keepMs: 3_600_000, now });
    expect(result.removed).toEqual([]);
    expect(result.kids).toEqual([before, result.added]);
    const keys = await open();
    expect(keys.current().kid).toBe(result.added);
    expect(await keys.find(before)).toBeDefined();
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([before, result.added]);
    expect(statSync(keyFilePath(dataDir)).mode & 0o777).toBe(0o600);
  });

  it('drops keys replaced more than keepMs ago, never the one that signed until now', async () => {
    const k0 = (await open()).current().kid;
    const t1 = now + 10_000;
    const a = await rotateSigningKeys(dataDir, { keepMs: 1000, now: t1 });
    expect(a.kids).toEqual([k0, a.added]);
    // k0 stopped signing at t1, long ago; `a` signed until this very rotation.
    const t2 = t1 + 60_000;
    const b = await rotateSigningKeys(dataDir, { keepMs: 1000, now: t2 });
    expect(b).toMatchObject({ kids: [a.added, b.added], removed: [k0] });
    const c = await rotateSigningKeys(dataDir, { keepMs: 1000, now: t2 + 500 });
    expect(c).toMatchObject({ kids: [a.added, b.added, c.added], removed: [] });
    const d = await rotateSigningKeys(dataDir, { keepMs: 1000, now: t2 + 2000 });
    expect(d).toMatchObject({ kids: [c.added, d.added], removed: [a.added, b.added] });
  });

  it('keeps a replaced key by default for the access-token lifetime plus 5 minutes', async () => {
    await open();
    const first = await rotateSigningKeys(dataDir, { accessTokenTtlSeconds: 900, now: (now += 1000) });
    // `first` stops signing here.
    const replacedAt = now + 60_000;
    await rotateSigningKeys(dataDir, { accessTokenTtlSeconds: 900, now: replacedAt });
    const kept = await rotateSigningKeys(dataDir, { accessTokenTtlSeconds: 900, now: replacedAt + 1_200_000 - 1 });
    expect(kept.kids).toContain(first.added);
    const dropped = await rotateSigningKeys(dataDir, { accessTokenTtlSeconds: 900, now: replacedAt + 1_200_000 });
    expect(dropped.kids).not.toContain(first.added);
    expect(dropped.removed).toContain(first.added);
  });

  it('creates the key file when rotating before any start', async () => {
    const result = await rotateSigningKeys(dataDir, { now });
    expect(result.kids).toEqual([result.added]);
    expect((await open()).current().kid).toBe(result.added);
  });

  it('lets a running store pick up a rotation made by another process', async () => {
    const running = await open();
    const old = running.current().kid;
    const { added } = await rotateSigningKeys(dataDir, { now: now + 1000 });
    // A token signed elsewhere with the new key: its kid is unknown here until the file is re-read.
    expect(await running.find(added)).toBeDefined();
    expect(running.current().kid).toBe(added);
    expect(await running.find(old)).toBeDefined();
  });

  it('stops verifying a key removed from the key file within seconds, remembered verifications included, without signing', async () => {
    const running = await open();
    const tokens = new AccessTokens({ keys: running, clock: systemClock, issuer: 'i', audience: 'a', ttlSeconds: 900 });
    const old = running.current().kid;
    const signedWithOld = await tokens.sign({ userId: '1', username: 'u' });
    expect((await tokens.verify(signedWithOld)).userId).toBe('1');
    await rotateSigningKeys(dataDir, { now: now + 1000 });
    // The operator removes the old key by hand (say it leaked).
    const path = keyFilePath(dataDir);
    const file = JSON.parse(readFileSync(path, 'utf8')) as { keys: { kid: string }[] };
    writeFileSync(path, JSON.stringify({ ...file, keys: file.keys.filter((k) => k.kid !== old) }));
    const refused = async () => {
      try {
        await tokens.verify(signedWithOld);
        return false;
      } catch (error) {
        return (error as { code?: string }).code === 'invalid_token';
      }
    };
    const deadline = Date.now() + 6_000;
    while (!(await refused()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await refused()).toBe(true);
    expect(running.has(old)).toBe(false);
    running.close();
  });

  it('refuses a corrupt key file instead of replacing it', async () => {
    await open();
    writeFileSync(keyFilePath(dataDir), '{"version":1,"keys":[');
    await expect(open()).rejects.toThrow();
  });

  it('uses a configured PEM key, its kid the thumbprint, touching no file', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const keys = await SigningKeys.open({ dataDir, now: () => now, signingKeyPem: pem });
    const { x } = privateKey.export({ format: 'jwk' });
    expect(keys.current().kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: String(x) }));
    expect(() => statSync(keyFilePath(dataDir))).toThrow();
  });

  it('refuses a PEM key that is not Ed25519', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => signingKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString())).toThrow(/Ed25519/);
  });
});
