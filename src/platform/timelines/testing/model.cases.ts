import fc from 'fast-check';
import { expect, it } from 'vitest';
import { MAX_ID } from '../timeline.entries.js';
import type { TimelineEntry, TimelineStore } from '../timeline.port.js';
import { TimelineModel } from './timeline.model.js';

/** One store operation, as generated. */
export type TimelineOp =
  | { kind: 'push'; users: bigint[]; entry: TimelineEntry }
  | { kind: 'range'; user: bigint; limit: number; before: bigint | undefined }
  | { kind: 'replace'; user: bigint; entries: TimelineEntry[] }
  | { kind: 'removeTweet'; users: bigint[]; tweetId: bigint }
  | { kind: 'removeAuthor'; user: bigint; authorId: bigint }
  | { kind: 'drop'; user: bigint };

/** Few users, so that operations meet on the same timelines. */
export const USERS = [1n, 2n, 3n, 4n];

/**
 * Tweet ids that collide often (small ones), and ones around the edges a 64-bit encoding can get
 * wrong: the 2^32 boundary (where the scripts' two halves meet), 2^53 (where doubles stop being
 * exact) and 2^63 - 1.
 */
export const arbTweetId: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }).map(BigInt) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).map((d) => 2n ** 32n + BigInt(d)) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 2 }).map((d) => 2n ** 53n + BigInt(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((d) => MAX_ID - BigInt(d)) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX_ID }) },
);
const arbAuthor = fc.constantFrom(0n, 1n, 2n, MAX_ID);
const arbEntry = fc.record({ tweetId: arbTweetId, authorId: arbAuthor });
const arbUser = fc.constantFrom(...USERS);
const arbUsers = fc.array(arbUser, { maxLength: 5 });

/** A random operation, pushes (the common case) most often. */
export const arbOp: fc.Arbitrary<TimelineOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('push' as const), users: arbUsers, entry: arbEntry }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('range' as const), user: arbUser, limit: fc.integer({ min: 0, max: 12 }), before: fc.option(arbTweetId, { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), user: arbUser, entries: fc.array(arbEntry, { maxLength: 25, size: 'max' }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeTweet' as const), users: arbUsers, tweetId: arbTweetId }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeAuthor' as const), user: arbUser, authorId: arbAuthor }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), user: arbUser }) },
);

/** Applies `op` to the store and the model; returns what each answered for a read, else undefined. */
export async function apply(store: TimelineStore, model: TimelineModel, op: TimelineOp): Promise<[unknown, unknown] | undefined> {
  switch (op.kind) {
    case 'push':
      await store.push(op.users, op.entry);
      return void model.push(op.users, op.entry);
    case 'range':
      return [await store.range(op.user, op.limit, op.before), model.range(op.user, op.limit, op.before)];
    case 'replace':
      await store.replace(op.user, op.entries);
      return void model.replace(op.user, op.entries);
    case 'removeTweet':
      await store.removeTweet(op.users, op.tweetId);
      return void model.removeTweet(op.users, op.tweetId);
    case 'removeAuthor':
      await store.removeAuthor(op.user, op.authorId);
      return void model.removeAuthor(op.user, op.authorId);
    case 'drop':
      await store.drop(op.user);
      return void model.drop(op.user);
  }
}

/** The model test: random operation sequences, every timeline compared with the model after each step. */
export function modelCases(open: (capacity: number) => Promise<TimelineStore>, numRuns = 100): void {
  it('behaves as the reference model over random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(1, 2, 3, 5, 20), fc.array(arbOp, { minLength: 1, maxLength: 50, size: 'max' }), async (capacity, ops) => {
        const store = await open(capacity);
        const model = new TimelineModel(capacity);
        for (const op of ops) {
          const read = await apply(store, model, op);
          if (read !== undefined) expect(read[0]).toEqual(read[1]);
          for (const user of USERS) expect(await store.range(user, capacity + 1)).toEqual(model.range(user, capacity + 1));
        }
        expect(await store.size()).toBe(model.size());
      }),
      { numRuns },
    );
  });
}
