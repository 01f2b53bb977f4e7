import { afterEach, beforeEach, expect, it } from 'vitest';
import { createKeyGenerator } from './keygen.factory.js';
import { createKeygenTestDb, type KeygenTestDb } from './testing/keygen-fixture.js';
import { describeEachDialect } from '../../../platform/sql/testing/test-databases.js';

describeEachDialect('createKeyGenerator', (dialect) => {
  let testDb: KeygenTestDb;
  beforeEach(async () => {
    testDb = await createKeygenTestDb(dialect);
  });
  afterEach(async () => {
    await testDb.cleanup();
  });

  it('builds each strategy from configuration', async () => {
    const sql = testDb.open();
    const request = { url: 'https://example.com/', attempt: 0 };

    const counter = createKeyGenerator(sql, { strategy: 'counter', blockSize: 10 });
    expect(counter.strategy).toBe('counter');
    expect(await counter.next(request)).toBe('1');

    const scrambled = createKeyGenerator(sql, { strategy: 'counter', scrambleSecret: 's', codeLength: 8 });
    expect(await scrambled.next(request)).toHaveLength(8);

    const hash = createKeyGenerator(sql, { strategy: 'hash', hashSalt: 'salt', codeLength: 6 });
    expect(hash.strategy).toBe('hash');
    expect(await hash.next(request)).toHaveLength(6);

    const pool = createKeyGenerator(sql, { strategy: 'pool', poolTargetSize: 20, poolLowWatermark: 5, codeLength: 8 });
    expect(pool.strategy).toBe('pool');
    pool.start?.();
    expect(await pool.next(request)).toHaveLength(8);
    await pool.stop?.();
  });
});
