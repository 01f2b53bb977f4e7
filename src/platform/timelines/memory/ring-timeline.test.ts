import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbTweetId } from '../testing/model.cases.js';
import { TimelineModel } from '../testing/timeline.model.js';
import { normalize } from '../timeline.entries.js';
import { RingTimeline } from './ring-timeline.js';

type RingOp = { kind: 'insert'; tweetId: bigint; authorId: bigint } | { kind: 'removeTweet'; tweetId: bigint } | { kind: 'removeAuthor'; authorId: bigint };

const arbRingOp: fc.Arbitrary<RingOp> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('insert' as const), tweetId: arbTweetId, authorId: fc.bigInt({ min: 0n, max: 3n }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('removeTweet' as const), tweetId: arbTweetId }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeAuthor' as const), authorId: fc.bigInt({ min: 0n, max: 3n }) }) },
);

describe('RingTimeline', () => {
  it('matches the model through growth, wrap-around and shifts on either side (long sequences)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.record({ tweetId: arbTweetId, authorId: fc.bigInt({ min: 0n, max: 3n }) }), { maxLength: 30, size: 'max' }), fc.array(arbRingOp, { maxLength: 300, size: 'max' }), (capacity, initial, ops) => {
        const ring = new RingTimeline(normalize(initial, capacity));
        const model = new TimelineModel(capacity);
        model.replace(1n, initial);
        for (const op of ops) {
          if (op.kind === 'insert') {
            const holds = () => model.range(1n, capacity)!.some((e) => e.tweetId === op.tweetId);
            const had = holds();
            model.push([1n], { tweetId: op.tweetId, authorId: op.authorId });
            expect(ring.insert(op.tweetId, op.authorId, capacity)).toBe(!had && holds());
          } else if (op.kind === 'removeTweet') {
            model.removeTweet([1n], op.tweetId);
            ring.removeTweet(op.tweetId);
          } else {
            model.removeAuthor(1n, op.authorId);
            ring.removeAuthor(op.authorId);
          }
          expect(ring.read(capacity + 1)).toEqual(model.range(1n, capacity + 1));
          expect(ring.length).toBe(model.range(1n, capacity + 1)!.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('takes the newest entry of a full timeline in place of the oldest, many times round the ring', () => {
    const ring = new RingTimeline();
    for (let t = 1n; t <= 10_000n; t++) expect(ring.insert(t, t % 5n, 800)).toBe(true);
    expect(ring.length).toBe(800);
    const page = ring.read(3, 9_500n);
    expect(page.map((e) => e.tweetId)).toEqual([9_499n, 9_498n, 9_497n]);
    expect(ring.read(1000).at(-1)?.tweetId).toBe(9_201n);
  });
});
