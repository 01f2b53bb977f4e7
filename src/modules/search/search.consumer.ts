import { batchHandler } from '../../platform/outbox/index.js';
import type { MessageHandler } from '../../platform/queue/index.js';
import type { FeedEvent } from './feed-event.js';
import type { SearchRepository } from './search.repository.js';

/** Tags kept per tweet, and their longest length: more is not a hashtag, it is an attack. */
const MAX_TAGS = 30;
const MAX_TAG_LENGTH = 140;

/**
 * How long a deleted tweet stays in the full-text index as a tombstone: a ranked search paged
 * within this delay of the deletion resumes exactly; an older cursor resumes from its remembered
 * score, a close guess.
 */
export const TOMBSTONE_PURGE_DELAY_MS = 24 * 60 * 60 * 1000;
/** Tombstones purged per message at most: the purge keeps up (one delete adds one) in small steps. */
export const PURGE_BATCH = 16;

/** Counts of what the consumer did, for metrics. */
export type SearchConsumerOutcome = 'indexed' | 'removed' | 'ignored';

export interface SearchConsumerDeps {
  repository: SearchRepository;
  now: () => number;
  onOutcome?: ((outcome: SearchConsumerOutcome) => void) | undefined;
}

/**
 * The `feed.search` handler: `tweet_posted` indexes the text, hashtags and author; `tweet_deleted`
 * makes it a tombstone (out of the results at once, out of the index after
 * {@link TOMBSTONE_PURGE_DELAY_MS}: every message purges a few that are due). Idempotent
 * (redeliveries and a delete arriving first change nothing more); other events are not about
 * search. A malformed event throws, so that it ends up dead-lettered, visible.
 */
export function searchConsumer({ repository, now, onOutcome }: SearchConsumerDeps): MessageHandler<FeedEvent | FeedEvent[]> {
  // A batch of events in one transaction: one commit (one fsync) for hundreds of tweets.
  return batchHandler<FeedEvent>(async (events) => {
    const outcomes = await repository.transaction(async (trx) => {
      const done: SearchConsumerOutcome[] = [];
      let removed = 0;
      for (const event of events) {
        let outcome: SearchConsumerOutcome = 'ignored';
        if (event.type === 'tweet_posted') {
          check(typeof event.tweetId === 'string' && typeof event.authorId === 'string' && typeof event.text === 'string' && Number.isFinite(event.createdAt), event);
          const tags = Array.isArray(event.hashtags) ? event.hashtags : [];
          const hashtags = [...new Set(tags.filter((t): t is string => typeof t === 'string').map((t) => t.normalize('NFC').toLowerCase().replace(/^#/, '')))]
            .filter((t) => t.length > 0 && t.length <= MAX_TAG_LENGTH)
            .slice(0, MAX_TAGS);
          const fresh = await repository.index({ tweetId: event.tweetId, authorId: event.authorId, text: event.text.normalize('NFC'), hashtags, createdAt: event.createdAt }, trx);
          if (fresh) outcome = 'indexed';
        } else if (event.type === 'tweet_deleted') {
          check(typeof event.tweetId === 'string' && typeof event.authorId === 'string' && Number.isFinite(event.at), event);
          if (await repository.remove(event.tweetId, event.authorId, event.at, now(), trx)) outcome = 'removed';
          removed++;
        }
        done.push(outcome);
      }
      // At least as many purged as this batch queued, so the purge queue never grows behind deletes.
      await repository.purge(now() - TOMBSTONE_PURGE_DELAY_MS, Math.max(PURGE_BATCH, removed), trx);
      return done;
    });
    if (onOutcome !== undefined) for (const outcome of outcomes) onOutcome(outcome);
  });
}

function check(ok: boolean, event: { type: string }): void {
  if (!ok) throw new Error(`malformed ${event.type} event`);
}
