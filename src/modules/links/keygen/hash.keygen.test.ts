import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBase62 } from './base62.js';
import { HashKeyGenerator } from './hash.keygen.js';
import { allLinks, allocateAll, createKeygenTestDb, type KeygenTestDb } from './testing/keygen-fixture.js';
import { describeEachDialect } from '../../../platform/sql/testing/test-databases.js';

describe('HashKeyGenerator', () => {
  const generator = new HashKeyGenerator();

  it('gives 7 base62 characters, the same for the same (url, attempt)', async () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.nat({ max: 100 }), (url, attempt) => {
        const code = generator.codeFor(url, attempt);
        expect(code).toHaveLength(7);
        expect(isBase62(code)).toBe(true);
        expect(new HashKeyGenerator().codeFor(url, attempt)).toBe(code);
      }),
    );
    expect(await generator.next({ url: 'https://a.example/', attempt: 0 })).toBe(generator.codeFor('https://a.example/', 0));
  });

  it('moves to a new code with each attempt, and with the salt', () => {
    const url = 'https://example.com/page';
    const codes = new Set(Array.from({ length: 50 }, (_, attempt) => generator.codeFor(url, attempt)));
    expect(codes.size).toBe(50);
    expect(new HashKeyGenerator({ salt: 'pepper' }).codeFor(url, 0)).not.toBe(generator.codeFor(url, 0));
    expect(new HashKeyGenerator({ length: 10 }).codeFor(url, 0)).toHaveLength(10);
  });

  it('keeps the inputs apart: (salt, attempt, url) are not just concatenated', () => {
    // "1" + "0:x" vs "10" + ":x" style ambiguities must not collide.
    expect(new HashKeyGenerator({ salt: 'a1' }).codeFor('x', 0)).not.toBe(new HashKeyGenerator({ salt: 'a' }).codeFor('x', 10));
    expect(generator.codeFor('1:x', 0)).not.toBe(generator.codeFor('x', 1));
  });

  it('rejects a bad attempt or length', () => {
    expect(() => generator.codeFor('u', -1)).toThrow(RangeError);
    expect(() => new HashKeyGenerator({ length: 0 })).toThrow(RangeError);
    expect(() => new HashKeyGenerator({ length: 43 })).toThrow(RangeError);
  });

  describeEachDialect('under concurrency', (dialect) => {
    let testDb: KeygenTestDb;
    beforeEach(async () => {
      testDb = await createKeygenTestDb(dialect);
    });
    afterEach(async () => {
      await testDb.cleanup();
    });

    it('resolves the collisions of 2,000 concurrent allocations, most of them of repeated URLs', async () => {
      const workers = Array.from({ length: 4 }, () => ({ sql: testDb.open(), generator: new HashKeyGenerator() }));
      // 1,000 distinct URLs once each, plus 20 URLs fifty times each: far more copies than the
      // 16 attempts a caller may make, so retries must not walk a fixed sequence.
      const urls = [
        ...Array.from({ length: 1000 }, (_, i) => `https://unique.example/${i}`),
        ...Array.from({ length: 1000 }, (_, i) => `https://popular.example/${i % 20}`),
      ];
      const codes = await allocateAll(workers, urls);
      expect(new Set(codes).size).toBe(2000);
      const rows = await allLinks(testDb.open());
      expect(rows).toHaveLength(2000);
      expect(new Map(rows.map((r) => [r.code, r.url]))).toEqual(new Map(codes.map((c, i) => [c, urls[i]])));
      // Exactly one copy of a popular URL got its deterministic first code.
      const popular = 'https://popular.example/7';
      const copies = rows.filter((r) => r.url === popular).map((r) => r.code);
      expect(copies).toHaveLength(50);
      expect(copies.filter((c) => c === generator.codeFor(popular, 0))).toHaveLength(1);
    });
  });
});
