import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../../platform/timelines/index.js';
import { mergeAuthors, mergeNewestFirst, take, type FetchSlices } from './feed.merge.js';
import type { AuthorSlice } from './tweets.repository.js';

const desc = (a: bigint, b: bigint) => (a > b ? -1 : a < b ? 1 : 0);

async function* from(ids: readonly number[]): AsyncGenerator<TimelineEntry> {
  for (const id of ids) yield { tweetId: BigInt(id), authorId: 1n };
}

/** A fake database: each author's tweet ids; counts the statements and rows read. */
function fakeDatabase(tweets: Map<bigint, bigint[]>) {
  const stats = { calls: 0, rows: 0 };
  const fetch: FetchSlices = async (slices: readonly AuthorSlice[]) => {
    stats.calls++;
    const out = new Map<bigint, TimelineEntry[]>();
    for (const s of slices) {
      const rows = (tweets.get(s.authorId) ?? [])
        .filter((id) => (s.before === undefined || id < s.before) && (s.after === undefined || id > s.after))
        .sort(desc)
        .slice(0, s.limit)
        .map((tweetId) => ({ tweetId, authorId: s.authorId }));
      stats.rows += rows.length;
      out.set(s.authorId, rows);
    }
    return out;
  };
  return { fetch, stats };
}

describe('mergeNewestFirst', () => {
  it('interleaves newest first and gives an id offered twice once', async () => {
    const merged = await take(mergeNewestFirst([from([9, 7, 4, 1]), from([8, 7, 2]), from([])]), 100);
    expect(merged.map((e) => Number(e.tweetId))).toEqual([9, 8, 7, 4, 2, 1]);
  });

  it('closes its sources when the reader stops early', async () => {
    let closed = 0;
    async function* counted(ids: number[]) {
      try {
        yield* from(ids);
      } finally {
        closed++;
      }
    }
    expect(await take(mergeNewestFirst([counted([5, 3]), counted([4, 2])]), 2)).toHaveLength(2);
    expect(closed).toBe(2);
  });
});

describe('mergeAuthors (the database merge)', () => {
  it('equals sorting every tweet of every author, from any cursor, for any take', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { maxLength: 40 }), { maxLength: 12 }),
        fc.option(fc.integer({ min: 1, max: 10_001 }), { nil: undefined }),
        fc.integer({ min: 1, max: 200 }),
        async (perAuthor, cursor, count) => {
          // Ids are unique across authors, as tweet ids are.
          const owner = new Map<number, number>();
          perAuthor.forEach((ids, a) => ids.forEach((id) => owner.has(id) || owner.set(id, a)));
          const tweets = new Map(perAuthor.map((_, a) => [BigInt(a), [...owner].filter(([, o]) => o === a).map(([id]) => BigInt(id))]));
          const { fetch } = fakeDatabase(tweets);
          const before = cursor === undefined ? undefined : BigInt(cursor);
          const got = await take(mergeAuthors(fetch, [...tweets.keys()], before, count), count);
          const want = [...owner.keys()]
            .map(BigInt)
            .filter((id) => before === undefined || id < before)
            .sort(desc)
            .slice(0, count);
          expect(got.map((e) => e.tweetId)).toEqual(want);
          for (const e of got) expect(owner.get(Number(e.tweetId))).toBe(Number(e.authorId));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads a bounded number of rows: a page of 20 over 100 busy authors is one statement', async () => {
    const tweets = new Map(Array.from({ length: 100 }, (_, a) => [BigInt(a), Array.from({ length: 500 }, (_, i) => BigInt(i * 100 + a))]));
    const { fetch, stats } = fakeDatabase(tweets);
    const page = await take(mergeAuthors(fetch, [...tweets.keys()], undefined, 20), 20);
    expect(page.map((e) => e.tweetId)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(49_999 - i)));
    expect(stats.calls).toBe(1);
    expect(stats.rows).toBe(400);
  });

  it('doubles the page of an author that keeps winning instead of re-reading row by row', async () => {
    const tweets = new Map([
      [1n, Array.from({ length: 800 }, (_, i) => BigInt(10_000 + i))],
      [2n, [1n, 2n]],
    ]);
    const { fetch, stats } = fakeDatabase(tweets);
    expect(await take(mergeAuthors(fetch, [1n, 2n], undefined, 800), 800)).toHaveLength(800);
    expect(stats.calls).toBeLessThanOrEqual(4);
  });
});
