import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import { tweetView, type Tweet } from './feed.model.js';
import type { TweetReads } from './feed.shards.js';

/** Likes of a viewer loaded at most; older ones are asked for tweet by tweet. */
const LIKES_LOADED = 5_000;
/** Newest tweet ids kept per author: a profile's first pages (a page holds at most 100). */
const AUTHOR_KEPT = 100;
/** The channel on which processes tell each other what to forget. */
const CHANNEL = 'feed.views';

/** A tweet as readers get it, with its JSON text ready (without `likedByMe` and the closing brace). */
interface CachedTweet {
  tweet: Tweet;
  json: string;
}

/** What a viewer likes: every like of tweets from `floor` up (all of them when `floor` is 0n); decimal ids. */
interface LikedSet {
  ids: Set<string>;
  floor: bigint;
}

/** An author's newest live tweet ids, newest first; `complete` when they are all the author has. */
interface AuthorIds {
  ids: bigint[];
  complete: boolean;
}

type Forget = { from: string; tweet?: string; viewer?: string; author?: string };

export interface TweetViewsOptions {
  tweets: Pick<TweetReads, 'liveByIds' | 'likedBy' | 'likesOf' | 'byAuthor'>;
  /** Tweets kept (default 100,000: ~50 MB). */
  maxTweets?: number;
  /** Authors whose newest tweet ids are kept (default 5,000: ~16 MB). */
  maxAuthors?: number;
  /** Viewers whose likes are kept (default 20,000). */
  maxViewers?: number;
  /**
   * Where processes tell each other to forget a tweet or a viewer's likes that one of them changed
   * (several API processes); absent: this process makes every change (the embedded topology).
   */
  bus?: PubSubPort | undefined;
}

/**
 * Tweets as readers get them, in memory: a home page on a hit is built from cached JSON text, with
 * no SQL and no serialisation. The cache is kept current by the write path (a post enters it with
 * its row; a like, a reply or a delete updates or removes it) rather than re-read per request;
 * what another process changed arrives as a "forget" on the bus and is read again on next use
 * (forgetting, unlike applying a count, does not care in which order the messages arrive).
 * Each viewer's likes are a set loaded once (the newest LIKES_LOADED) and kept current the same way,
 * and each author's newest tweet ids (a profile's pages) a list loaded once, a post added to it here
 * and forgotten elsewhere, a deleted tweet dropped when a page finds it gone.
 */
export class TweetViews {
  readonly #tweets: Pick<TweetReads, 'liveByIds' | 'likedBy' | 'likesOf' | 'byAuthor'>;
  readonly #byAuthor: LRUCache<bigint, AuthorIds>;
  /**
   * Bumped per author when a post or a forget arrives: a list loaded meanwhile may lack that tweet,
   * so it is not kept (a load that started before a commit can end after the post was told here).
   */
  readonly #authorEpochs = new LRUCache<bigint, number>({ max: 100_000 });
  readonly #byId: LRUCache<bigint, CachedTweet>;
  /** The JSON text of each tweet object held: a page renders from the objects it was given. */
  readonly #json = new WeakMap<Tweet, string>();
  readonly #likes: LRUCache<bigint, LikedSet>;
  readonly #bus: PubSubPort | undefined;
  readonly #self = randomUUID();
  readonly #unsubscribe: (() => void) | undefined;

  constructor(options: TweetViewsOptions) {
    this.#tweets = options.tweets;
    this.#byId = new LRUCache({ max: options.maxTweets ?? 100_000 });
    this.#likes = new LRUCache({ max: options.maxViewers ?? 20_000 });
    this.#byAuthor = new LRUCache({ max: options.maxAuthors ?? 5_000 });
    this.#bus = options.bus;
    this.#unsubscribe = this.#bus?.subscribe(CHANNEL, (message) => {
      const m = message as Forget;
      if (m.from === this.#self) return;
      if (typeof m.tweet === 'string') this.#byId.delete(BigInt(m.tweet));
      if (typeof m.viewer === 'string') this.#likes.delete(BigInt(m.viewer));
      if (typeof m.author === 'string') this.#forgetAuthor(BigInt(m.author));
    });
  }

  /** Live tweets for ids, in the order given, deleted and unknown ones left out; misses are read and kept. */
  async live(ids: readonly bigint[]): Promise<Tweet[]> {
    const found = new Map<bigint, Tweet>();
    const missing: bigint[] = [];
    for (const id of ids) {
      const hit = this.#byId.get(id);
      if (hit !== undefined) found.set(id, hit.tweet);
      else missing.push(id);
    }
    if (missing.length > 0) {
      for (const tweet of await this.#tweets.liveByIds([...new Set(missing)])) {
        this.#keep(tweet);
        found.set(BigInt(tweet.id), tweet);
      }
    }
    return ids.flatMap((id) => found.get(id) ?? []);
  }

  /** A page's JSON text, `{ items, nextCursor }`, from the cached text of its tweets (no serialisation). */
  async page(page: { items: readonly Tweet[]; nextCursor: string | null }, viewerId: bigint | null): Promise<string> {
    return `{"items":${await this.render(page.items, viewerId)},"nextCursor":${page.nextCursor === null ? 'null' : `"${page.nextCursor}"`}}`;
  }

  /**
   * `page` without I/O: the JSON text when every tweet is held and the viewer's likes are loaded
   * and cover the page; undefined otherwise (`page` then reads what is missing).
   */
  pageNow(page: { items: readonly Tweet[]; nextCursor: string | null }, viewerId: bigint): string | undefined {
    const set = this.#likes.get(viewerId);
    if (set === undefined) return undefined;
    let out = '{"items":[';
    for (let i = 0; i < page.items.length; i++) {
      const t = page.items[i]!;
      const json = this.#json.get(t);
      if (json === undefined || (set.floor > 0n && BigInt(t.id) < set.floor)) return undefined;
      if (i > 0) out += ',';
      out += set.ids.has(t.id) ? `${json},"likedByMe":true}` : `${json},"likedByMe":false}`;
    }
    return `${out}],"nextCursor":${page.nextCursor === null ? 'null' : `"${page.nextCursor}"`}}`;
  }

  /** The tweet if it is held here (no read): the answer of a page served from memory. */
  cached(id: bigint): Tweet | undefined {
    // A peek: recency is the order tweets came in (new tweets are what pages show), not reads.
    return this.#byId.peek(id)?.tweet;
  }

  /** JSON text of a list of tweets (an array) for a viewer: `likedByMe` when signed in. */
  async render(items: readonly Tweet[], viewerId: bigint | null): Promise<string> {
    const liked = viewerId === null ? undefined : await this.likedAmong(viewerId, items);
    let out = '[';
    for (let i = 0; i < items.length; i++) {
      const t = items[i]!;
      const json = this.#json.get(t) ?? this.#keep(t).json;
      if (i > 0) out += ',';
      out += liked === undefined ? `${json}}` : liked.has(t.id) ? `${json},"likedByMe":true}` : `${json},"likedByMe":false}`;
    }
    return `${out}]`;
  }

  /**
   * An author's live tweets, newest first, below `before`, from the author's kept ids and the
   * tweets held (no SQL once both are loaded); undefined when the kept ids do not cover the page
   * (past the newest AUTHOR_KEPT, or a tweet deleted since): the caller then reads the database.
   */
  async byAuthor(authorId: bigint, limit: number, before?: bigint): Promise<Tweet[] | undefined> {
    let kept = this.#byAuthor.get(authorId);
    if (kept === undefined) {
      const epoch = this.#authorEpochs.get(authorId) ?? 0;
      const rows = await this.#tweets.byAuthor(authorId, AUTHOR_KEPT + 1);
      for (const t of rows.slice(0, AUTHOR_KEPT)) this.#keep(t);
      kept = { ids: rows.slice(0, AUTHOR_KEPT).map((t) => BigInt(t.id)), complete: rows.length <= AUTHOR_KEPT };
      if ((this.#authorEpochs.get(authorId) ?? 0) === epoch) this.#byAuthor.set(authorId, kept);
    }
    const ids: bigint[] = [];
    for (const id of kept.ids) {
      if (before !== undefined && id >= before) continue;
      ids.push(id);
      if (ids.length === limit) break;
    }
    if (ids.length < limit && !kept.complete) return undefined;
    const tweets = await this.live(ids);
    if (tweets.length < ids.length) {
      // Deleted since: dropped from the list; this page comes from the database.
      const live = new Set(tweets.map((t) => t.id));
      kept.ids = kept.ids.filter((id) => !ids.includes(id) || live.has(id.toString()));
      kept.complete = false;
      return undefined;
    }
    return tweets;
  }

  /** A posted tweet (the author's process knows it whole): kept, first in its author's list here, forgotten in other processes' lists. */
  posted(tweet: Tweet): void {
    this.#keep(tweet);
    const authorId = BigInt(tweet.authorId);
    this.#authorEpochs.set(authorId, (this.#authorEpochs.get(authorId) ?? 0) + 1);
    const kept = this.#byAuthor.peek(authorId);
    if (kept !== undefined) {
      const id = BigInt(tweet.id);
      // Ids come in commit order, nearly always newest first; a late one takes its place, unless
      // that is past the end of a list that does not hold all the author's tweets (a gap would follow).
      const at = kept.ids.findIndex((k) => k < id);
      if (!kept.ids.includes(id) && (at !== -1 || kept.complete)) kept.ids.splice(at === -1 ? kept.ids.length : at, 0, id);
      if (kept.ids.length > AUTHOR_KEPT) {
        kept.ids.length = AUTHOR_KEPT;
        kept.complete = false;
      }
    }
    if (this.#bus !== undefined) this.#tell({ author: tweet.authorId });
  }

  #forgetAuthor(authorId: bigint): void {
    this.#authorEpochs.set(authorId, (this.#authorEpochs.get(authorId) ?? 0) + 1);
    this.#byAuthor.delete(authorId);
  }

  /** A tweet's counts changed here: kept current here, forgotten elsewhere. */
  counted(id: bigint, counts: { likeCount?: number; replyCount?: number }): void {
    const hit = this.#byId.peek(id);
    if (hit !== undefined) this.#keep({ ...hit.tweet, ...counts });
    this.#tell({ tweet: id.toString() });
  }

  /** A tweet was deleted, or changed in a way read again on next use (a reply counted): forgotten everywhere. */
  forget(id: bigint): void {
    this.#byId.delete(id);
    this.#tell({ tweet: id.toString() });
  }

  /** A viewer liked (or took back a like of) a tweet, whose count is now `likeCount`. */
  liked(viewerId: bigint, id: bigint, liked: boolean, likeCount: number): void {
    const set = this.#likes.peek(viewerId);
    if (set !== undefined) {
      if (liked) set.ids.add(id.toString());
      else set.ids.delete(id.toString());
    }
    this.counted(id, { likeCount });
    this.#tell({ viewer: viewerId.toString() });
  }

  /** Stops listening to the bus. */
  close(): void {
    this.#unsubscribe?.();
  }

  #keep(tweet: Tweet): CachedTweet {
    const cached = { tweet, json: JSON.stringify(tweetView(tweet, undefined)).slice(0, -1) };
    this.#byId.set(BigInt(tweet.id), cached);
    this.#json.set(tweet, cached.json);
    return cached;
  }

  /** Which of the items the viewer likes, from their set (loaded on first need). */
  async likedAmong(viewerId: bigint, items: readonly Tweet[]): Promise<Set<string>> {
    let set = this.#likes.get(viewerId);
    if (set === undefined) {
      const ids = await this.#tweets.likesOf(viewerId, LIKES_LOADED + 1);
      set = { ids: new Set(ids.slice(0, LIKES_LOADED).map(String)), floor: ids.length > LIKES_LOADED ? ids[LIKES_LOADED - 1]! : 0n };
      this.#likes.set(viewerId, set);
    }
    const out = new Set<string>();
    const older: bigint[] = [];
    for (const t of items) {
      if (set.ids.has(t.id)) out.add(t.id);
      else if (set.floor > 0n && BigInt(t.id) < set.floor) older.push(BigInt(t.id));
    }
    // Tweets older than the likes loaded: asked for (rare: a viewer with thousands of likes, far back).
    if (older.length > 0) for (const id of await this.#tweets.likedBy(viewerId, older)) out.add(id);
    return out;
  }

  #tell(message: Omit<Forget, 'from'>): void {
    // Best effort: a process that misses it serves a count a moment old, never a wrong tweet for long.
    this.#bus?.publish(CHANNEL, { from: this.#self, ...message }).catch(() => undefined);
  }
}
