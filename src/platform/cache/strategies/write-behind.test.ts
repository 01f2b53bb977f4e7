import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CachePort } from '../cache.port.js';
import { CACHE_ADAPTERS } from './testing/adapters.js';
import { eventually, ManualTimer, TestSource } from './testing/helpers.js';
import { WriteBehind, WriteBehindBacklogError, WriteBehindFlushError, type WriteBehindOptions } from './write-behind.js';

/** A write's value: which write it was, so that order can be checked. */
interface Seq {
  seq: number;
}

for (const adapter of CACHE_ADAPTERS) {
  describe.runIf(adapter.available)(`WriteBehind on ${adapter.name}`, () => {
    let cache: CachePort;
    let source: TestSource<Seq>;
    let timer: ManualTimer;
    const open: WriteBehind<Seq>[] = [];
    const writeBehind = (options: Partial<WriteBehindOptions<Seq>> = {}) => {
      const wb = new WriteBehind<Seq>({
        cache,
        prefix: 'wb:',
        ttlMs: 60_000,
        writeBatch: source.writeBatch,
        load: source.load,
        flushIntervalMs: 1_000,
        maxBatchSize: 1_000,
        closeRetryDelayMs: 0,
        timer,
        ...options,
      });
      open.push(wb);
      return wb;
    };

    beforeEach(() => {
      cache = adapter.create();
      source = new TestSource();
      timer = new ManualTimer();
    });
    afterEach(async () => {
      source.failWrites = 0;
      for (const wb of open.splice(0)) await wb.close().catch(() => {});
      await cache.close();
    });

    it('acknowledges a write once the cache holds it; the source gets it at the next flush', async () => {
      const wb = writeBehind();
      await wb.set('a', { seq: 1 });
      expect(await cache.get('wb:a')).toEqual({ seq: 1 });
      expect(await wb.get('a')).toEqual({ seq: 1 });
      expect(source.data.size).toBe(0);
      expect(wb.pending).toBe(1);
      timer.tick();
      await wb.flush();
      expect(source.data.get('a')).toEqual({ seq: 1 });
      expect(wb.pending).toBe(0);
    });

    it('coalesces writes per key: one batch carries each key once, with its latest value', async () => {
      const wb = writeBehind();
      for (let i = 0; i < 90; i++) await wb.set(`k${i % 3}`, { seq: i });
      timer.tick();
      await wb.flush();
      expect(source.batches).toBe(1);
      expect(source.writes).toEqual([
        ['k0', { seq: 87 }],
        ['k1', { seq: 88 }],
        ['k2', { seq: 89 }],
      ]);
    });

    it('flushes without waiting for the interval once maxBatchSize keys wait, in batches of that size', async () => {
      const wb = writeBehind({ maxBatchSize: 10 });
      for (let i = 0; i < 25; i++) await wb.set(`k${i}`, { seq: i });
      await eventually(() => source.data.size >= 20, 'two full batches');
      timer.tick();
      await wb.flush();
      expect(source.data.size).toBe(25);
      expect(source.batches).toBe(3);
    });

    it('reads an unflushed write even when the cache lost it', async () => {
      const wb = writeBehind();
      await wb.set('a', { seq: 1 });
      await cache.delete('wb:a');
      expect(await wb.get('a')).toEqual({ seq: 1 });
      expect(source.loads).toBe(0);
      source.data.set('b', { seq: 2 });
      expect(await wb.get('b')).toEqual({ seq: 2 });
    });

    it('close flushes everything, stops the timer and refuses later writes', async () => {
      const wb = writeBehind({ maxBatchSize: 7 });
      for (let i = 0; i < 50; i++) await wb.set(`k${i % 20}`, { seq: i });
      await wb.close();
      expect(timer.running).toBe(0);
      expect(wb.pending).toBe(0);
      for (let k = 0; k < 20; k++) expect(source.data.get(`k${k}`)).toEqual({ seq: k + 40 < 50 ? k + 40 : k + 20 });
      await expect(wb.set('late', { seq: 99 })).rejects.toThrow('closed');
    });

    it('a crash (no close) loses at most the writes made since the last flush began', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.oneof(fc.record({ key: fc.integer({ min: 0, max: 5 }) }), fc.constant('tick' as const)), { maxLength: 60 }), async (ops) => {
          source = new TestSource();
          timer = new ManualTimer();
          const wb = writeBehind();
          /** Latest acknowledged value per key, and the same as of the last flush. */
          const acked = new Map<string, number>();
          let flushed = new Map<string, number>();
          let seq = 0;
          for (const op of ops) {
            if (op === 'tick') {
              flushed = new Map(acked);
              timer.tick();
              await wb.flush();
            } else {
              await wb.set(`k${op.key}`, { seq: ++seq });
              acked.set(`k${op.key}`, seq);
            }
          }
          // The process dies here: no close. What the source holds is what survives.
          const survived = new Map([...source.data].map(([k, v]) => [k, v.seq]));
          expect(survived).toEqual(flushed);
          for (const [key, value] of acked) {
            if (survived.get(key) !== value) expect(value).toBeGreaterThan(Math.max(0, ...flushed.values()));
          }
          open.splice(open.indexOf(wb), 1);
        }),
        { numRuns: 30 },
      );
    });

    it('a failing source is retried without losing or reordering any key\'s writes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(fc.record({ key: fc.integer({ min: 0, max: 4 }) }), fc.constant('tick' as const), fc.record({ fail: fc.integer({ min: 1, max: 3 }) })), { maxLength: 80 }),
          fc.integer({ min: 1, max: 4 }),
          async (ops, maxBatchSize) => {
            source = new TestSource();
            // A slow source: batches are in flight while later writes arrive and while it fails.
            source.beforeBatch = () => new Promise((r) => setImmediate(r));
            timer = new ManualTimer();
            const wb = writeBehind({ maxBatchSize, closeAttempts: 10 });
            const acked = new Map<string, number>();
            let seq = 0;
            for (const op of ops) {
              if (op === 'tick') {
                timer.tick();
              } else if ('fail' in op) {
                source.failWrites = op.fail;
              } else {
                await wb.set(`k${op.key}`, { seq: ++seq });
                acked.set(`k${op.key}`, seq);
              }
            }
            source.failWrites = Math.min(source.failWrites, 3);
            await wb.close();
            // Nothing lost: the source ends with every key's latest acknowledged value.
            expect(new Map([...source.data].map(([k, v]) => [k, v.seq]))).toEqual(acked);
            // Nothing reordered: per key, the source saw increasing writes (a retry may repeat one).
            const last = new Map<string, number>();
            for (const [key, value] of source.writes) {
              expect(value.seq).toBeGreaterThanOrEqual(last.get(key) ?? 0);
              last.set(key, value.seq);
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    it('holds a bounded backlog while the source fails, and drains it once the source is back', async () => {
      const errors: unknown[] = [];
      const wb = writeBehind({ maxBatchSize: 2, maxPending: 4, onError: (e) => errors.push(e) });
      source.failWrites = 1_000;
      for (let i = 0; i < 4; i++) await wb.set(`k${i}`, { seq: i });
      timer.tick();
      await wb.flush();
      expect(errors.length).toBeGreaterThan(0);
      await expect(wb.set('k4', { seq: 4 })).rejects.toBeInstanceOf(WriteBehindBacklogError);
      // A key already waiting is overwritten in place: no growth, accepted.
      await wb.set('k0', { seq: 5 });
      source.failWrites = 0;
      timer.tick();
      await wb.flush();
      expect(wb.pending).toBe(0);
      expect(source.data.get('k0')).toEqual({ seq: 5 });
      expect(source.data.size).toBe(4);
    });

    it('close reports the writes it could not save when the source never comes back', async () => {
      const wb = writeBehind({ closeAttempts: 2 });
      await wb.set('a', { seq: 1 });
      await wb.set('b', { seq: 2 });
      source.failWrites = 1_000;
      const error = await wb.close().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WriteBehindFlushError);
      expect((error as WriteBehindFlushError).lost).toBe(2);
    });
  });
}
