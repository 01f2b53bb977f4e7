import type { Clock } from '../../platform/clock/index.js';
import type { IdGenerator } from '../../platform/ids/index.js';
import type { GroupCommit } from '../../platform/sql/index.js';
import type { UserDirectory } from '../accounts/index.js';
import { NotTweetAuthorError, TweetInputError, TweetNotFoundError } from './feed.errors.js';
import type { FeedEvent } from './feed.events.js';
import { emit } from './feed.outbox.js';
import type { Fanout } from './fanout.js';
import type { HomeFeeds } from './home-feeds.js';
import type { TweetViews } from './tweet-views.js';
import { parseId, userIdOf } from './feed.ids.js';
import type { Page, Tweet } from './feed.model.js';
import type { FeedTables } from './feed.tables.js';
import { hashtagsOf, mentionedNames, normalizeTweetText } from './feed.text.js';
import type { FollowsRepository } from './follows.repository.js';
import type { FeedShards } from './feed.shards.js';
import type { NewTweet, TweetsRepository } from './tweets.repository.js';

/** Who acts: the signed-in user. */
export interface Actor {
  userId: string;
  username: string;
}

export interface TweetsServiceDeps {
  /** Writes of tweets and likes (any transaction); reads go through `shards`. */
  tweets: TweetsRepository;
  /** Where tweets are: the main database or the author's shard. */
  shards: FeedShards;
  follows: FollowsRepository;
  /** The main database's group commit (follows and counters). */
  writes: GroupCommit<FeedTables>;
  /** The rules of home timelines (the celebrity threshold). */
  home: HomeFeeds;
  /** What reaches home timelines after a commit. */
  fanout: Fanout;
  /** Tweets as readers get them, kept current by every write here. */
  views: TweetViews;
  clock: Clock;
  ids: IdGenerator;
  /** Name lookups for mentions (the accounts directory). */
  users: Pick<UserDirectory, 'byUsername'>;
  outbox: { notify(): void };
}

/** Posting, reading, deleting and liking tweets. Every write commits its event with it. */
export class TweetsService {
  readonly #deps: TweetsServiceDeps;

  constructor(deps: TweetsServiceDeps) {
    this.#deps = deps;
  }

  /**
   * Posts a tweet (or a reply to a live tweet). In one transaction: the row, the parent's reply
   * count, the author's tweet count, and the `tweet_posted` event. Whether the tweet is fanned out
   * (author at or under the celebrity threshold) is decided here, once, and kept on the row.
   * On shards, the row and its event commit together on the author's shard; the counters in the
   * main database and the parent's reply count on its own shard are separate writes (see
   * {@link #postOnShards}).
   */
  async post(actor: Actor, input: { text: string; replyTo?: string | undefined }): Promise<Tweet> {
    const { tweets, follows, shards, clock, ids, users, home, fanout, outbox } = this.#deps;
    const text = normalizeTweetText(input.text);
    const replyTo = input.replyTo === undefined ? null : parseId(input.replyTo);
    if (input.replyTo !== undefined && replyTo === null) throw replyRefused(input.replyTo);
    const authorId = userIdOf(actor.userId);
    const names = mentionedNames(text);
    const mentioned = names.length === 0 ? [] : await Promise.all(names.map((name) => users.byUsername(name)));
    const mentions = [...new Set(mentioned.flatMap((u) => (u === null || u.id === actor.userId ? [] : [u.id])))];
    const pushed = home.pushes(await fanout.followerCount(authorId));
    const id = ids.next();
    const now = clock.now();
    const eventOf = (replyToAuthorId: bigint | null): FeedEvent => ({
      type: 'tweet_posted',
      tweetId: id.toString(),
      authorId: actor.userId,
      text,
      replyTo: replyTo?.toString() ?? null,
      replyToAuthorId: replyToAuthorId?.toString() ?? null,
      mentions,
      hashtags: hashtagsOf(text),
      createdAt: now,
      pushed,
    });
    const row: NewTweet = { id, authorId, authorUsername: actor.username, text, replyTo, pushed, createdAt: now };

    const posted = shards.sharded
      ? await this.#postOnShards(row, eventOf, now)
      : await shards.write(authorId, async (trx) => {
          let replyToAuthorId: bigint | null = null;
          if (replyTo !== null) {
            replyToAuthorId = await tweets.addReply(trx, replyTo);
            // An answer, not a throw: a throw would abort the transaction shared with other writers.
            if (replyToAuthorId === null) return false;
          }
          await tweets.insert(trx, row);
          await follows.changeCounts(trx, authorId, pushed ? { tweets: 1 } : { tweets: 1, pulled: true });
          await emit(trx, eventOf(replyToAuthorId), actor.userId, now);
          return true;
        });
    if (!posted) throw replyRefused(input.replyTo!);
    outbox.notify();
    const tweet: Tweet = { id: id.toString(), authorId: actor.userId, author: actor.username, text, replyTo: replyTo?.toString() ?? null, likeCount: 0, replyCount: 0, createdAt: now };
    this.#deps.views.posted(tweet);
    if (replyTo !== null) this.#deps.views.forget(replyTo);
    if (!pushed) fanout.pulled(authorId);
    await fanout.posted({ tweetId: id, authorId, createdAt: now }, pushed);
    return tweet;
  }

  /**
   * A post when tweets are on shards: the tweet and its event commit on the author's shard; what
   * lives elsewhere is written around that commit, in an order that never hides a tweet:
   * the `pulled` flag (main) before it, so that readers pull a celebrity's tweet as soon as it
   * exists; the parent's reply count (its shard) before it, undone if the post fails; the tweet
   * count (main) after it. A crash between two of these leaves a count one off, never a tweet
   * lost or unseen (cross-shard counters are eventually right, not transactional).
   */
  async #postOnShards(row: NewTweet, eventOf: (replyToAuthorId: bigint | null) => FeedEvent, now: number): Promise<boolean> {
    const { tweets, follows, shards, writes } = this.#deps;
    const { authorId, replyTo, pushed } = row;
    if (!pushed) await writes.run((trx) => follows.changeCounts(trx, authorId, { pulled: true }));
    let replyToAuthorId: bigint | null = null;
    if (replyTo !== null) {
      replyToAuthorId = await shards.writeOnTweet(replyTo, (trx) => tweets.addReply(trx, replyTo));
      if (replyToAuthorId === null) return false;
    }
    const event = eventOf(replyToAuthorId);
    try {
      await shards.write(authorId, async (trx) => {
        await tweets.insert(trx, row);
        await emit(trx, event, authorId.toString(), now);
      });
    } catch (error) {
      if (replyToAuthorId !== null) await shards.write(replyToAuthorId, (trx) => tweets.removeReply(trx, replyTo!)).catch(() => undefined);
      throw error;
    }
    await writes.run((trx) => follows.changeCounts(trx, authorId, { tweets: 1 })).catch(() => undefined);
    return true;
  }

  /** A live tweet. */
  async get(id: string): Promise<Tweet> {
    const tweetId = parseId(id);
    const [tweet] = tweetId === null ? [] : await this.#deps.views.live([tweetId]);
    if (tweet === undefined) throw new TweetNotFoundError(id);
    return tweet;
  }

  /** Deletes a tweet of the actor's (soft): it never shows again; fan-out retracts it from timelines. */
  async delete(actor: Actor, id: string): Promise<void> {
    const { tweets, follows, shards, writes, clock, outbox, fanout } = this.#deps;
    const tweetId = parseId(id);
    const facts = tweetId === null ? null : await shards.facts(tweetId);
    if (facts === null || facts.deletedAt !== null) throw new TweetNotFoundError(id);
    if (facts.authorId !== userIdOf(actor.userId)) throw new NotTweetAuthorError(id);
    const now = clock.now();
    const deleted = await shards.write(facts.authorId, async (trx) => {
      if (!(await tweets.markDeleted(trx, facts.id, now))) return false;
      if (!shards.sharded) {
        await follows.changeCounts(trx, facts.authorId, { tweets: -1 });
        if (facts.replyTo !== null) await tweets.removeReply(trx, facts.replyTo);
      }
      await emit(trx, { type: 'tweet_deleted', tweetId: facts.id.toString(), authorId: actor.userId, at: now, pushed: facts.pushed }, actor.userId, now);
      return true;
    });
    // Deleted meanwhile by another request of the author's.
    if (!deleted) throw new TweetNotFoundError(id);
    if (shards.sharded) {
      // Counters elsewhere, after the commit (see #postOnShards).
      await writes.run((trx) => follows.changeCounts(trx, facts.authorId, { tweets: -1 })).catch(() => undefined);
      if (facts.replyTo !== null) await shards.writeOnTweet(facts.replyTo, (trx) => tweets.removeReply(trx, facts.replyTo!)).catch(() => undefined);
    }
    outbox.notify();
    this.#deps.views.forget(facts.id);
    if (facts.replyTo !== null) this.#deps.views.forget(facts.replyTo);
    await fanout.deleted(facts.id, facts.authorId, facts.pushed);
  }

  /** Likes a live tweet, idempotently; answers the exact count. */
  async like(actor: Actor, id: string): Promise<number> {
    const { tweets, shards, clock, outbox } = this.#deps;
    const tweetId = parseId(id);
    if (tweetId === null) throw new TweetNotFoundError(id);
    const now = clock.now();
    // The like lives with the tweet (on its author's shard): the row and the count commit together.
    const outcome = await shards.writeOnTweet(tweetId, async (trx) => {
      const result = await tweets.like(trx, userIdOf(actor.userId), tweetId, now);
      if (result?.changed) {
        const authorId = result.authorId.toString();
        await emit(trx, { type: 'tweet_liked', tweetId: tweetId.toString(), authorId, userId: actor.userId, at: now }, authorId, now);
      }
      return result;
    });
    if (outcome === null) throw new TweetNotFoundError(id);
    if (outcome.changed) {
      outbox.notify();
      this.#deps.views.liked(userIdOf(actor.userId), tweetId, true, outcome.likeCount);
    }
    return outcome.likeCount;
  }

  /** Takes a like back, idempotently; answers the exact count. */
  async unlike(actor: Actor, id: string): Promise<number> {
    const tweetId = parseId(id);
    if (tweetId === null) throw new TweetNotFoundError(id);
    const outcome = await this.#deps.shards.writeOnTweet(tweetId, (trx) => this.#deps.tweets.unlike(trx, userIdOf(actor.userId), tweetId));
    if (outcome === null) throw new TweetNotFoundError(id);
    if (outcome.changed) this.#deps.views.liked(userIdOf(actor.userId), tweetId, false, outcome.likeCount);
    return outcome.likeCount;
  }

  /** An author's live tweets, newest first; the cursor is the last id of the previous page. */
  async byAuthor(authorId: string, limit: number, cursor?: bigint): Promise<Page<Tweet>> {
    const author = userIdOf(authorId);
    const items = (await this.#deps.views.byAuthor(author, limit, cursor)) ?? (await this.#deps.shards.byAuthor(author, limit, cursor));
    return { items, nextCursor: items.length === limit ? items[items.length - 1]!.id : null };
  }

  /** Live tweets by id, in the order asked, missing and deleted ones left out. */
  async byIds(ids: readonly string[]): Promise<Tweet[]> {
    const parsed = ids.map(parseId).filter((id): id is bigint => id !== null);
    return this.#deps.views.live(parsed);
  }
}

function replyRefused(replyTo: string): TweetInputError {
  return new TweetInputError('reply_to_not_found', `No tweet ${replyTo} to reply to`, '/replyTo');
}
