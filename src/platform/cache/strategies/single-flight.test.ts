import { describe, expect, it } from 'vitest';
import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('runs one load for concurrent callers of a key and shares the result', async () => {
    const sf = new SingleFlight<string, number>();
    let loads = 0;
    let release!: (v: number) => void;
    const load = () => {
      loads++;
      return new Promise<number>((r) => (release = r));
    };
    const calls = Array.from({ length: 100 }, () => sf.do('k', load));
    expect(sf.size).toBe(1);
    release(42);
    expect(await Promise.all(calls)).toEqual(Array(100).fill(42));
    expect(loads).toBe(1);
    expect(sf.size).toBe(0);
  });

  it('shares a failure, then lets the next call try again', async () => {
    const sf = new SingleFlight<string, number>();
    const failing = Promise.all([sf.do('k', () => Promise.reject(new Error('db down'))), sf.do('k', async () => 1)]);
    await expect(failing).rejects.toThrow('db down');
    expect(await sf.do('k', async () => 2)).toBe(2);
  });

  it('keeps keys apart', async () => {
    const sf = new SingleFlight<string, string>();
    const [a, b] = await Promise.all([sf.do('a', async () => 'A'), sf.do('b', async () => 'B')]);
    expect([a, b]).toEqual(['A', 'B']);
  });
});

describe('SingleFlight.forget', () => {
  it('starts a fresh load for callers after forget, and the old one does not remove it', async () => {
    const sf = new SingleFlight<string, string>();
    let releaseOld!: (v: string) => void;
    const old = sf.do('k', () => new Promise<string>((r) => (releaseOld = r)));
    sf.forget('k');
    let releaseNew!: (v: string) => void;
    const fresh = sf.do('k', () => new Promise<string>((r) => (releaseNew = r)));
    releaseOld('old');
    expect(await old).toBe('old');
    // The settled old call left the new one in place: a third caller joins it.
    const joined = sf.do('k', async () => 'third');
    expect(sf.size).toBe(1);
    releaseNew('new');
    expect(await Promise.all([fresh, joined])).toEqual(['new', 'new']);
    expect(sf.size).toBe(0);
  });
});
