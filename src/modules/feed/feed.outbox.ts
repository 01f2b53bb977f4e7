import { addToOutbox } from '../../platform/outbox/index.js';
import { FEED_EVENTS_TOPIC, type FeedEvent } from './feed.events.js';
import type { FeedDb } from './tweets.repository.js';

/** The outbox row of a feed event, in the writer's transaction; the key orders the events of one author (or follower). */
export async function emit(trx: FeedDb, event: FeedEvent, key: string, now: number, topic = FEED_EVENTS_TOPIC): Promise<void> {
  await addToOutbox(trx, [{ topic, key, payload: event }], now);
}
