import { afterEach, beforeEach, expect, it } from 'vitest';
import { isBase62 } from './base62.js';
import { PoolKeyGenerator, type PoolKeyGeneratorOptions } from './pool.keygen.js';
import { allLinks, allocateAll, createKeygenTestDb, type KeygenTestDb } from './testing/keygen-fixture.js';
import { describeEachDialect } from '../../../platform/sql/testing/test-databases.js';
import { until } from '../../../../test/helpers/poll.js';

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
describeEachDialect('PoolKeyGenerator', (dialect) => {
  let testDb: KeygenTestDb;
  const started: PoolKeyGenerator[] = [];
  const make = (options: PoolKeyGeneratorOptions = {}): PoolKeyGenerator => {
    const generator = new PoolKeyGenerator(testDb.open(), options);
    started.push(generator);
    return generator;
  };

  beforeEach(async () => {
    testDb = await createKeygenTestDb(dialect);
  });
  afterEach(async () => {
    // Stop timers before the connections close under them.
    await Promise.all(started.splice(0).map((g) => g.stop()));
    await testDb.cleanup();
  });

  it('fills up to the target with distinct random codes of the requested length', async () => {
    const generator = make({ targetSize: 1200, lowWatermark: 300, batchSize: 500, length: 9 });
    expect(await generator.refill()).toBe(1200);
    expect(await generator.size()).toBe(1200);
    expect(await generator.refill()).toBe(0);
    const code = await generator.next();
    expect(code).toHaveLength(9);
    expect(isBase62(code)).toBe(true);
    expect(await generator.size()).toBe(1199);
  });

  it('never hands the same code to two instances', async () => {
    const generators = Array.from({ length: 4 }, () => make({ targetSize: 3000, lowWatermark: 3000 }));
    await generators[0]?.refill();
    const codes = await Promise.all(Array.from({ length: 2400 }, (_, i) => (generators[i % 4] as PoolKeyGenerator).next()));
    expect(new Set(codes).size).toBe(2400);
    expect(await generators[0]?.size()).toBe(600);
  });

  it('keeps 2,000 concurrent allocations over 4 connections unique, refilling inline as it drains', async () => {
    const workers = Array.from({ length: 4 }, () => {
      const sql = testDb.open();
      const generator = new PoolKeyGenerator(sql, { targetSize: 500, lowWatermark: 100, emergencyBatch: 50 });
      started.push(generator);
      return { sql, generator };
    });
    await workers[0]?.generator.refill();
    const urls = Array.from({ length: 2000 }, (_, i) => `https://example.com/${i}`);
    const codes = await allocateAll(workers, urls);
    expect(new Set(codes).size).toBe(2000);
    const rows = await allLinks(testDb.open());
    expect(rows).toHaveLength(2000);
    expect(new Set(rows.map((r) => r.code))).toEqual(new Set(codes));
  });

  it('refills in the background once the pool falls below the low watermark', async () => {
    const generator = make({ targetSize: 200, lowWatermark: 50, refillIntervalMs: 20, batchSize: 64 });
    generator.start();
    await until(async () => (await generator.size()) >= 200, 'the pool refilled to 200', { timeoutMs: 5_000 });
    // Above the watermark nothing is added.
    for (let i = 0; i < 140; i++) await generator.next();
    expect(await generator.size()).toBe(60);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await generator.size()).toBe(60);
    // Below it the pool is topped up to the target again. A tick may land between these claims and
    // top up from there, so the size ends between 180 and 200, far above what claims alone leave.
    for (let i = 0; i < 20; i++) await generator.next();
    await until(async () => (await generator.size()) >= 180, 'the pool refilled to 180', { timeoutMs: 5_000 });
    expect(await generator.size()).toBeLessThanOrEqual(200);
    await generator.stop();
  });

  it('answers from an empty pool', async () => {
    const generator = make({ targetSize: 100, lowWatermark: 10, emergencyBatch: 8 });
    expect(await generator.size()).toBe(0);
    const codes = await Promise.all(Array.from({ length: 30 }, () => generator.next()));
    expect(new Set(codes).size).toBe(30);
    expect(codes.every((c) => c.length === 7 && isBase62(c))).toBe(true);
  });

  it('stops refilling after stop()', async () => {
    const generator = make({ targetSize: 100, lowWatermark: 50, refillIntervalMs: 10 });
    generator.start();
    // stop() waits for the refill the start kicked off.
    await generator.stop();
    expect(await generator.size()).toBe(100);
    for (let i = 0; i < 60; i++) await generator.next();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await generator.size()).toBe(40);
  });

  it('rejects inconsistent sizes', () => {
    expect(() => make({ targetSize: 10, lowWatermark: 20 })).toThrow(RangeError);
    expect(() => make({ length: 0 })).toThrow(RangeError);
  });
});
