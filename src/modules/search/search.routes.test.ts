import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerErrorHandlers } from '../../http/error-handler.js';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { Principal } from '../accounts/index.js';
import { createSearch, searchMigrations, type HydrateTweets, type Search } from './index.js';
import type { FeedEvent } from './feed-event.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';

describeEachDialect('search routes', (dialect) => {
  let db: SqlDatabase;
  let search: Search;
  let app: FastifyInstance;
  const users = {
    byIds: async (ids: readonly string[]) => new Map(ids.filter((id) => id === 'a1').map((id) => [id, { id, username: 'ann', createdAt: 0 }])),
    search: async () => [],
  };

  /** Feeds events to the module's own consumer, through a queue stand-in that hands over its handler. */
  async function index(...events: FeedEvent[]): Promise<void> {
    let handler: ((message: unknown) => Promise<void>) | undefined;
    const queue = {
      consume: (_topic: string, h: (message: unknown) => Promise<void>) => {
        handler = h;
        return { stop: async () => {} };
      },
    };
    search.startConsumer(queue as never);
    for (const payload of events) await handler!({ id: '1', topic: 'feed.search', key: null, payload, attempt: 1, publishedAt: 0 });
  }

  const posted = (tweetId: string, text: string, authorId = 'a1'): FeedEvent => ({
    type: 'tweet_posted', tweetId, authorId, text, replyTo: null, replyToAuthorId: null, mentions: [], hashtags: [], createdAt: Number(tweetId),
  });

  async function build(hydrateTweets?: HydrateTweets): Promise<void> {
    app = Fastify();
    registerErrorHandlers(app);
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      if (request.headers.authorization === 'Bearer viewer') request.principal = { userId: 'v1', username: 'viewer', via: 'jwt' } satisfies Principal;
    });
    await app.register(search.routes, { hydrateTweets });
  }

  beforeEach(async () => {
    db = await dialect.open();
    await db.migrate(searchMigrations(db.dialect));
    search = createSearch({ sql: db, users });
    await index(posted('100', 'kiwi fruit salad'), posted('200', 'kiwi kiwi', 'gone'), posted('300', 'kiwi birds'));
  });
  afterEach(async () => {
    await app.close();
    await db.close();
  });

  describe('GET /api/v1/search routes', () => {
    it('renders the index\'s own fields without a hydrator, author names from the directory', async () => {
      await build();
      const res = await app.inject({ url: '/api/v1/search?q=kiwi' });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: { id: string; author: string | null; highlights: unknown }[]; nextCursor: null };
      expect(body.items.map((i) => [i.id, i.author])).toEqual([['200', null], ['300', 'ann'], ['100', 'ann']]);
      expect(body.items[1]).toEqual({ id: '300', authorId: 'a1', author: 'ann', text: 'kiwi birds', createdAt: new Date(300).toISOString(), highlights: [{ start: 0, end: 4 }] });
    });

    it('hands ids and the viewer to the hydrator, keeps rank order, adds highlights, skips what it no longer has', async () => {
      const calls: [string[], string | null][] = [];
      await build(async (ids, viewerId) => {
        calls.push([ids, viewerId]);
        // The feed answers in its own order and has lost tweet 200.
        return ids.filter((id) => id !== '200').reverse().map((id) => ({ id, likeCount: 7, likedByViewer: viewerId !== null }));
      });
      const res = await app.inject({ url: '/api/v1/search?q=kiwi', headers: { authorization: 'Bearer viewer' } });
      expect(res.statusCode).toBe(200);
      expect(calls).toEqual([[['200', '300', '100'], 'v1']]);
      expect(res.json().items).toEqual([
        { id: '300', likeCount: 7, likedByViewer: true, highlights: [{ start: 0, end: 4 }] },
        { id: '100', likeCount: 7, likedByViewer: true, highlights: [{ start: 0, end: 4 }] },
      ]);
      await app.inject({ url: '/api/v1/search?q=kiwi' });
      expect(calls[1]![1]).toBeNull();
    });

    it('refuses bad input with 400 problems', async () => {
      await build();
      for (const [url, code] of [
        ['/api/v1/search?q=', 'search_query_empty'],
        ['/api/v1/search?q=%22*', 'search_query_empty'],
        ['/api/v1/search?q=kiwi&cursor=zzz', 'cursor_invalid'],
        ['/api/v1/search?q=kiwi&type=links', 'validation_failed'],
        ['/api/v1/search?q=kiwi&limit=0', 'validation_failed'],
      ] as const) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().code, url).toBe(code);
      }
    });
  });
});
