import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../clock/clock.port.js';
import type { IdGenerator } from './id-generator.port.js';

/** How the contract builds generators; every call stands for a separate process. */
export interface IdGeneratorContractFactory {
  /** A generator reading time from `clock`. */
  create(clock: Clock): IdGenerator | Promise<IdGenerator>;
  /**
   * Another process's generator on the same deployment (e.g. another worker id), for the
   * disjointness and cross-generator ordering checks; `create` is used when absent, so an
   * adapter whose separate instances are disjoint without configuration need not supply it.
   */
  createPeer?(clock: Clock): IdGenerator | Promise<IdGenerator>;
}

const INT64_LIMIT = 2n ** 63n;
const YEAR_MS = 365 * 24 * 3_600_000;

/** Describes the first id that breaks strict order or the signed 64-bit positive range. */
function firstFault(ids: readonly bigint[]): string | undefined {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as bigint;
    if (typeof id !== 'bigint') return `ids[${i}] is a ${typeof id}, not a bigint`;
    if (id <= 0n || id >= INT64_LIMIT) return `ids[${i}] = ${id} is outside 1..2^63-1`;
    const prev = ids[i - 1];
    if (prev !== undefined && id <= prev) return `ids[${i}] = ${id} does not exceed ids[${i - 1}] = ${prev}`;
  }
  return undefined;
}

/** The behaviour every id generator promises; each adapter's test calls this. */
export function runIdGeneratorContract(name: string, factory: IdGeneratorContractFactory): void {
  const createPeer = (clock: Clock): IdGenerator | Promise<IdGenerator> => (factory.createPeer ?? factory.create)(clock);

  describe(`${name} (id generator contract)`, () => {
    it('strictly increases over 50k ids while the clock moves forward', async () => {
      const clock = new ManualClock(Date.UTC(2026, 5, 1));
      const gen = await factory.create(clock);
      const ids: bigint[] = [];
      for (let i = 0; i < 50_000; i++) {
        // Uneven steps: several ids per millisecond, sometimes a jump of a few milliseconds.
        if (i % 37 === 0) clock.advance(i % 3);
        ids.push(gen.next());
      }
      expect(firstFault(ids)).toBeUndefined();
    });

    it('strictly increases over 50k ids with the clock frozen', async () => {
      const gen = await factory.create(new ManualClock(Date.UTC(2026, 5, 1)));
      const ids = Array.from({ length: 50_000 }, () => gen.next());
      expect(firstFault(ids)).toBeUndefined();
    });

    it('keeps increasing when the clock steps back', async () => {
      // NTP may step a clock back; the port promises order regardless.
      const clock = new ManualClock(Date.UTC(2026, 5, 1));
      const gen = await factory.create(clock);
      const ids: bigint[] = [];
      for (let i = 0; i < 10_000; i++) {
        if (i === 5_000) clock.advance(-5_000);
        else if (i % 100 === 0) clock.advance(1);
        ids.push(gen.next());
      }
      expect(firstFault(ids)).toBeUndefined();
    });

    it('stays within 1..2^63-1 from now to 50 years on', async () => {
      for (const at of [Date.UTC(2026, 0, 1), Date.now(), Date.now() + 50 * YEAR_MS]) {
        const gen = await factory.create(new ManualClock(at));
        const ids = Array.from({ length: 5_000 }, () => gen.next());
        expect(firstFault(ids), `clock at ${new Date(at).toISOString()}`).toBeUndefined();
      }
    });

    it('sorts by time across generators: ids made later are larger than ids made earlier', async () => {
      const clock = new ManualClock(Date.UTC(2026, 5, 1));
      const a = await factory.create(clock);
      const b = await createPeer(clock);
      let earlierMax = 0n;
      for (let round = 0; round < 5; round++) {
        const made: bigint[] = [];
        for (let i = 0; i < 100; i++) made.push(a.next(), b.next());
        const min = made.reduce((x, y) => (y < x ? y : x));
        expect(min > earlierMax, `round ${round}: ${min} should exceed ${earlierMax}`).toBe(true);
        earlierMax = made.reduce((x, y) => (y > x ? y : x));
        // Sortable to the second: finer promises depend on the adapter's time resolution.
        clock.advance(1_000);
      }
      // A process restarted later must not hand out ids below those made before it started.
      const restarted = await factory.create(clock);
      expect(restarted.next() > earlierMax).toBe(true);
    });

    it('gives two generators disjoint ids over 20k each at the same instant', async () => {
      const clock = new ManualClock(Date.UTC(2026, 5, 1));
      const a = await factory.create(clock);
      const b = await createPeer(clock);
      const seen = new Set<bigint>();
      for (let i = 0; i < 20_000; i++) {
        seen.add(a.next());
        seen.add(b.next());
      }
      expect(seen.size).toBe(40_000);
    });
  });
}
