import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock/index.js';
import type { SqlDatabase } from '../../platform/sql/index.js';
import { SqliteDatabase } from '../../platform/sql/sqlite/sqlite-database.js';
import { AppError } from '../../shared/errors/index.js';
import type { FeedEvent } from './feed-event.js';
import { PURGE_BATCH, TOMBSTONE_PURGE_DELAY_MS, searchConsumer } from './search.consumer.js';
import { fullTextEngineFor, searchMigrations } from './search.migrations.js';
import { SearchRepository, type IndexedTweet } from './search.repository.js';
import { SearchService, type TweetHit } from './search.service.js';
import type { SearchTables } from './search.tables.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';

describeEachDialect('search', (dialect) => {
  let db: SqlDatabase<SearchTables>;
  let repository: SearchRepository;
  let service: SearchService;
  let clock: ManualClock;
  let nextId = 1_000;

  beforeEach(async () => {
    db = await dialect.open<SearchTables>();
    await db.migrate(searchMigrations(db.dialect));
    repository = new SearchRepository(db, fullTextEngineFor(db.dialect));
    service = new SearchService(repository);
    clock = new ManualClock();
  });
  afterEach(() => db.close());

  /** Indexes a tweet; ids and times increase with each call unless given. */
  async function post(text: string, more: Partial<IndexedTweet> = {}): Promise<string> {
    const id = String(nextId++);
    await repository.index({ tweetId: id, authorId: 'a1', text, hashtags: [], createdAt: nextId * 1000, ...more });
    return id;
  }

  const ids = (items: TweetHit[]) => items.map((i) => i.id);
  /** What the full-text index itself holds for a word, tombstones included. */
  async function inFullText(word: string): Promise<number> {
    if (db instanceof SqliteDatabase) return db.raw.prepare('SELECT rowid FROM search_tweets_fts WHERE search_tweets_fts MATCH ?').all(word).length;
    const { rows } = await sql<{ n: number }>`select count(*) as n from search_tweets_fts where tsv @@ plainto_tsquery('simple', search_fold(${word}))`.execute(db.db);
    return rows[0]!.n;
  }
  /** The engine's check that its index holds exactly the texts it was given (throws when it does not). */
  async function checkFullText(): Promise<void> {
    if (db instanceof SqliteDatabase) {
      db.raw.prepare("INSERT INTO search_tweets_fts (search_tweets_fts) VALUES ('integrity-check')").run();
      return;
    }
    // Every indexed vector is its document's current text; every document with text is indexed; purged ones are not.
    const { rows } = await sql<{ stale: number; missing: number }>`
      select (select count(*) from search_tweets_fts f left join search_tweets t on t.doc_id = f.doc_id
              where t.doc_id is null or t.text = '' or f.tsv <> to_tsvector('simple', search_fold(t.text))) as stale,
             (select count(*) from search_tweets t where t.text <> ''
              and not exists (select 1 from search_tweets_fts f where f.doc_id = t.doc_id)) as missing`.execute(db.db);
    if (rows[0]!.stale !== 0 || rows[0]!.missing !== 0) throw new Error(`full-text index out of step: ${JSON.stringify(rows[0])}`);
  }
  async function filler(): Promise<void> {
    for (let i = 0; i < 12; i++) await post(`unrelated chatter about golang number ${i}`);
  }

  describe('SearchService.tweets', () => {
    it('ranks by relevance (term frequency, shorter texts) then recency, all words required', async () => {
      await filler();
      const long = await post('I wrote some rust today after a long walk in the park with friends and family');
      const dense = await post('rust rust rust');
      const short = await post('rust is fun');
      const older = await post('hello world');
      const newer = await post('hello world');
      expect(ids((await service.tweets('rust', { limit: 10 })).items)).toEqual([dense, short, long]);
      expect(ids((await service.tweets('RUST fun', { limit: 10 })).items)).toEqual([short]);
      expect(ids((await service.tweets('hello world', { limit: 10 })).items)).toEqual([newer, older]);
    });

    it('folds case and diacritics, and gives highlights as offsets of the text', async () => {
      const id = await post('Un Café crème, s’il vous plaît — CAFE!');
      for (const q of ['cafe', 'CAFÉ', 'café', 'cafe\u0301', 'creme plait']) {
        expect(ids((await service.tweets(q, { limit: 5 })).items), q).toEqual([id]);
      }
      const [hit] = (await service.tweets('cafe', { limit: 5 })).items;
      expect(hit!.highlights!.map((h) => hit!.text.slice(h.start, h.end))).toEqual(['Café', 'CAFE']);
    });

    it('never fails on hostile input: operators, quotes, SQL; the words still match', async () => {
      const id = await post('NEAR the OR gate, a "quoted" word and -minus- signs; DROP TABLE x');
      const hostile = [
        '"', '""', '"unterminated', '*', 'near*', 'NEAR(', 'NEAR(a b, 2)', 'OR', 'a OR', 'AND NOT', '-', '-minus', '^start', 'text:word',
        '{text}: x', '(((', ')', "'); DROP TABLE search_tweets; --", "' OR '1'='1", '\\', '%_', '\u0000', '🙂', 'e\u0301\u0301\u0301',
      ];
      for (const q of hostile) {
        try {
          await service.tweets(q, { limit: 5 });
        } catch (error) {
          expect(error instanceof AppError && error.status === 400, `${JSON.stringify(q)}: ${String(error)}`).toBe(true);
        }
      }
      for (const q of ['"quoted"', 'NEAR(', 'OR', '-minus', "'); DROP TABLE x; --", 'gate*']) {
        expect(ids((await service.tweets(q, { limit: 5 })).items), q).toEqual([id]);
      }
      expect((await service.tweets('table', { limit: 5 })).items).toHaveLength(1);
    });

    it('pages without repeats or gaps while tweets are indexed and deleted between pages', async () => {
      await filler();
      const original: string[] = [];
      for (let i = 0; i < 30; i++) original.push(await post(`rust ${'padding '.repeat(i % 7)}${i}`));
      const seen: string[] = [];
      const deleted = new Set<string>();
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const result = await service.tweets('rust', { limit: 7, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...ids(result.items));
        // Between pages: better-ranked tweets arrive (they must not push results across a boundary)...
        await post('rust');
        await post(`rust ${'word '.repeat(page)}`);
        // ...and an already-seen one is deleted (an offset would then skip a result).
        const victim = seen[page];
        if (victim !== undefined && !deleted.has(victim)) {
          await repository.remove(victim, 'a1', Date.now(), clock.now());
          deleted.add(victim);
        }
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...original].sort());
    });

    it('pages without skips or repeats when the last result of each page is deleted before the next', async () => {
      const original: string[] = [];
      for (let i = 0; i < 23; i++) original.push(await post(`kelp ${'padding '.repeat(i % 5)}${i}`));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await service.tweets('kelp', { limit: 5, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...ids(result.items));
        // The cursor's own tweet goes, and the corpus moves on: its score must still be known exactly.
        const anchor = result.items.at(-1);
        if (anchor !== undefined) await repository.remove(anchor.id, 'a1', Date.now(), clock.now());
        await post(`unrelated words ${page}`);
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual([...original].sort());
    });

    it('keeps the order of an open search when other tweets are deleted (their statistics stay)', async () => {
      // Long tweets without the word: deleting them would shrink the mean length bm25 normalises by,
      // which reorders a short text with the word once and a longer one with it twice.
      const chatter: string[] = [];
      for (let i = 0; i < 30; i++) chatter.push(await post(`unrelated ${'chatter '.repeat(40)}${i}`));
      const original: string[] = [];
      for (let i = 0; i < 4; i++) original.push(await post(i % 2 === 0 ? `krill ${i}` : `krill krill a b c d e f g h ${i}`));
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const result = await service.tweets('krill', { limit: 1, ...(cursor === undefined ? {} : { cursor }) });
        seen.push(...ids(result.items));
        for (const id of chatter.splice(0, 15)) await repository.remove(id, 'a1', Date.now(), clock.now());
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      expect(seen).toHaveLength(original.length);
      expect([...seen].sort()).toEqual([...original].sort());
    });

    it('finds an exact hashtag, newest first, paged, and not a longer tag', async () => {
      const tagged: string[] = [];
      for (let i = 0; i < 5; i++) tagged.push(await post(`post ${i} #rust`, { hashtags: ['rust'] }));
      await post('not this one #rustlang', { hashtags: ['rustlang'] });
      await post('nor this one, only the word rust');
      const first = await service.tweets('#Rust', { limit: 3 });
      expect(ids(first.items)).toEqual([tagged[4], tagged[3], tagged[2]]);
      expect(first.items[0]!.highlights).toBeUndefined();
      const second = await service.tweets('#rust', { limit: 3, cursor: first.nextCursor! });
      expect(ids(second.items)).toEqual([tagged[1], tagged[0]]);
      expect(second.nextCursor).toBeNull();
      await expect(service.tweets('rust', { limit: 3, cursor: first.nextCursor! })).rejects.toMatchObject({ code: 'cursor_invalid' });
    });

    it('is idempotent: redelivered posts, deletes, and a delete that arrives first', async () => {
      const tweet = { tweetId: '77', authorId: 'a1', text: 'idempotent kraken', hashtags: ['kraken'], createdAt: 5 };
      expect(await repository.index(tweet)).toBe(true);
      expect(await repository.index(tweet)).toBe(false);
      expect(ids((await service.tweets('kraken', { limit: 5 })).items)).toEqual(['77']);
      expect(await repository.remove('77', 'a1', 6, clock.now())).toBe(true);
      expect(await repository.remove('77', 'a1', 6, clock.now())).toBe(false);
      expect(await repository.index(tweet)).toBe(false);
      expect((await service.tweets('kraken', { limit: 5 })).items).toEqual([]);
      expect((await service.tweets('#kraken', { limit: 5 })).items).toEqual([]);
      // Deleted before its post was indexed: the post must stay out.
      expect(await repository.remove('78', 'a1', 7, clock.now())).toBe(false);
      expect(await repository.index({ ...tweet, tweetId: '78' })).toBe(false);
      expect((await service.tweets('kraken', { limit: 5 })).items).toEqual([]);
      // The deleted text stays indexed until the tombstone is purged, then it is not kept.
      const texts = () => db.db.selectFrom('search_tweets').select(['tweet_id', 'text']).orderBy('tweet_id').execute();
      expect(await texts()).toEqual([{ tweet_id: '77', text: 'idempotent kraken' }, { tweet_id: '78', text: '' }]);
      expect(await repository.purge(clock.now() - 1, 10)).toBe(0);
      expect(await repository.purge(clock.now(), 10)).toBe(1);
      expect(await repository.purge(clock.now(), 10)).toBe(0);
      expect(await texts()).toEqual([{ tweet_id: '77', text: '' }, { tweet_id: '78', text: '' }]);
      expect(await inFullText('kraken')).toBe(0);
      await checkFullText();
      // A purged tombstone still wins over a late post.
      expect(await repository.index(tweet)).toBe(false);
      expect((await service.tweets('kraken', { limit: 5 })).items).toEqual([]);
    });

    it('keeps deleted tweets indexed until the purge delay, then the consumer purges a batch per message', async () => {
      const handle = searchConsumer({ repository, now: () => clock.now() });
      let message = 0;
      const deliver = (payload: FeedEvent) => handle({ id: String(++message), topic: 'feed.search', key: null, payload, attempt: 1, publishedAt: clock.now(), traceparent: null });
      const posts: FeedEvent[] = [];
      for (let i = 0; i < PURGE_BATCH + 4; i++) {
        posts.push({ type: 'tweet_posted', tweetId: String(500 + i), authorId: 'a1', text: `squid ${i}`, replyTo: null, replyToAuthorId: null, mentions: [], hashtags: [], createdAt: i });
      }
      for (const p of posts) await deliver(p);
      const kept = await post('squid ink');
      for (const p of posts) await deliver({ type: 'tweet_deleted', tweetId: (p as { tweetId: string }).tweetId, authorId: 'a1', at: clock.now() });
      expect(ids((await service.tweets('squid', { limit: 50 })).items)).toEqual([kept]);
      expect(await inFullText('squid')).toBe(posts.length + 1);

      const liked: FeedEvent = { type: 'tweet_liked', tweetId: kept, authorId: 'a1', userId: 'u2', at: 0 };
      clock.advance(TOMBSTONE_PURGE_DELAY_MS - 1);
      await deliver(liked);
      expect(await inFullText('squid')).toBe(posts.length + 1);
      clock.advance(1);
      await deliver(liked);
      expect(await inFullText('squid')).toBe(posts.length + 1 - PURGE_BATCH);
      // Redelivered posts of purged tweets stay out; the rest of the queue goes with the next messages.
      for (const p of posts) await deliver(p);
      expect(await inFullText('squid')).toBe(1);
      expect(ids((await service.tweets('squid', { limit: 50 })).items)).toEqual([kept]);
      await checkFullText();
    });
  });

  describe('SearchService.users', () => {
    it('pages a name prefix through the directory', async () => {
      const names = ['alice', 'alicia', 'alistair', 'bob'];
      const directory = {
        async search(prefix: string, limit: number, after?: string) {
          return names
            .filter((n) => n.startsWith(prefix) && (after === undefined || n > after))
            .slice(0, limit)
            .map((username, i) => ({ id: String(i), username, createdAt: 0 }));
        },
      };
      const first = await service.users(directory, '@Ali', { limit: 2 });
      expect(first.items.map((u) => u.username)).toEqual(['alice', 'alicia']);
      const second = await service.users(directory, 'ali', { limit: 2, cursor: first.nextCursor! });
      expect(second.items.map((u) => u.username)).toEqual(['alistair']);
      expect(second.nextCursor).toBeNull();
    });
  });
});
