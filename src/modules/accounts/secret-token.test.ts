import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isApiKeyLike, isWellFormedApiKey, newApiKey, randomToken, sha256Hex } from './secret-token.js';

describe('secret tokens', () => {
  it('makes 256-bit base64url tokens, all different', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => randomToken()));
    expect(tokens.size).toBe(1000);
    for (const t of tokens) expect(Buffer.from(t, 'base64url')).toHaveLength(32);
  });

  it('hashes with SHA-256 (hex)', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  it('makes API keys bp_ + 32 random bytes, with their hash and an 11-character display prefix', () => {
    const { key, hash, prefix } = newApiKey();
    expect(key).toMatch(/^bp_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
    expect(hash).toBe(sha256Hex(key));
    expect(prefix).toBe(key.slice(0, 11));
    expect(isApiKeyLike(key) && isWellFormedApiKey(key)).toBe(true);
    expect(newApiKey().key).not.toBe(key);
  });

  it('tells API keys from other bearer tokens', () => {
    expect(isApiKeyLike('eyJhbGciOiJFZERTQSJ9.e30.sig')).toBe(false);
    expect(isApiKeyLike('bp_short')).toBe(true);
    expect(isWellFormedApiKey('bp_short')).toBe(false);
    expect(isWellFormedApiKey(`bp_${'a'.repeat(44)}`)).toBe(false);
  });
});
