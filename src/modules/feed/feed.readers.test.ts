import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SqlReaders } from './feed.readers.js';
import type { FollowsRepository } from './follows.repository.js';

/** A follows table in memory that counts its queries and can hold them until released. */
function follows(initial: Record<string, bigint[]>) {
  const following = new Map(Object.entries(initial).map(([k, v]) => [BigInt(k), v]));
  let queries = 0;
  let gate: Promise<void> | undefined;
  const repository = {
    counts: async () => ({ followers: 0, following: 0, tweets: 0, lastReadAt: 1, pulled: false }),
    followingOf: async (userId: bigint) => {
      queries++;
      const answer = (following.get(userId) ?? []).map((id) => ({ id, pulled: false }));
      await gate;
      return answer;
    },
  } as unknown as FollowsRepository;
  return {
    repository,
    follow: (reader: bigint, author: bigint) => following.set(reader, [...(following.get(reader) ?? []), author]),
    queries: () => queries,
    hold: () => {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe('SqlReaders', () => {
  it('reads a reader once however many reads wait for it, then answers without I/O', async () => {
    const db = follows({ 1: [2n, 3n] });
    const readers = new SqlReaders(db.repository);
    const release = db.hold();
    const waiting = Promise.all([readers.read(1n), readers.read(1n), readers.read(1n)]);
    release();
    const [a, b, c] = await waiting;
    expect(db.queries()).toBe(1);
    expect([a.sees(2n), b.sees(3n), c.sees(4n)]).toEqual([true, true, false]);
    expect(readers.readNow(1n)?.sees(3n)).toBe(true);
    expect(db.queries()).toBe(1);
  });

  it('past its TTL still answers at once, and reads the reader again in the background', async () => {
    const db = follows({ 1: [2n] });
    const readers = new SqlReaders(db.repository, { ttlMs: 20 });
    await readers.read(1n);
    // A follow whose message was lost: only the TTL brings it in.
    db.follow(1n, 5n);
    await sleep(40);
    const stale = readers.readNow(1n);
    expect(stale?.sees(5n)).toBe(false);
    expect(db.queries()).toBe(2);
    await sleep(5);
    expect(readers.readNow(1n)?.sees(5n)).toBe(true);
    expect(db.queries()).toBe(2);
  });

  it('a reader forgotten while it is read is read again, not answered from the older read', async () => {
    const db = follows({ 1: [2n] });
    const readers = new SqlReaders(db.repository);
    const release = db.hold();
    const reading = readers.read(1n);
    // The follow commits after the query read its rows, and forgets the reader.
    await sleep(1);
    db.follow(1n, 7n);
    readers.forget(1n);
    release();
    expect((await reading).sees(7n)).toBe(true);
    expect(readers.readNow(1n)).toBeUndefined();
  });
});
