import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/clock.port.js';
import { runIdGeneratorContract } from './id-generator.contract.js';
import { SnowflakeIdGenerator, snowflakeTime, MAX_WORKER_ID } from './snowflake.id-generator.js';

// Processes of one deployment differ by worker id; the peer takes the highest, where a worker
// field spilling into the time or sequence bits would show as collisions or disorder.
runIdGeneratorContract('SnowflakeIdGenerator', {
  // Worker 0 at the epoch itself would make id 0 without the clamp in next().
  create: (clock) => new SnowflakeIdGenerator(clock, 0),
  createPeer: (clock) => new SnowflakeIdGenerator(clock, MAX_WORKER_ID),
});

describe('SnowflakeIdGenerator', () => {
  it('makes strictly increasing ids that carry their time', () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const gen = new SnowflakeIdGenerator(clock, 7);
    let prev = gen.next();
    expect(snowflakeTime(prev)).toBe(Date.UTC(2026, 5, 1));
    for (let i = 0; i < 20_000; i++) {
      if (i % 1000 === 0) clock.advance(1);
      const id = gen.next();
      expect(id > prev).toBe(true);
      prev = id;
    }
  });

  it('keeps increasing when the clock steps back or a millisecond runs out of sequence', () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const gen = new SnowflakeIdGenerator(clock, 1);
    const ids = new Set<bigint>();
    let prev = 0n;
    for (let i = 0; i < 10_000; i++) {
      const id = gen.next();
      expect(id > prev).toBe(true);
      prev = id;
      ids.add(id);
    }
    clock.advance(-5_000);
    const after = gen.next();
    expect(after > prev).toBe(true);
    expect(ids.size).toBe(10_000);
  });

  it('gives different workers disjoint ids at the same instant', () => {
    const clock = new ManualClock();
    const a = new SnowflakeIdGenerator(clock, 1);
    const b = new SnowflakeIdGenerator(clock, 2);
    const seen = new Set<bigint>();
    for (let i = 0; i < 5_000; i++) {
      seen.add(a.next());
      seen.add(b.next());
    }
    expect(seen.size).toBe(10_000);
  });

  it('fits in a signed 64-bit integer and refuses bad worker ids', () => {
    const gen = new SnowflakeIdGenerator(new ManualClock(Date.UTC(2090, 0, 1)), MAX_WORKER_ID);
    expect(gen.next() < 2n ** 63n).toBe(true);
    expect(() => new SnowflakeIdGenerator(new ManualClock(), MAX_WORKER_ID + 1)).toThrow(RangeError);
    expect(() => new SnowflakeIdGenerator(new ManualClock(), -1)).toThrow(RangeError);
  });
});
