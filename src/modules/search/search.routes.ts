import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { UserDirectory } from '../accounts/index.js';
import { Problem, SearchPageView, SearchQuerystring } from './search.schemas.js';
import type { SearchService, TweetHit } from './search.service.js';

/** Turns tweet ids into the feed's tweet views (counts, likes by the viewer); missing ids are left out. */
export type HydrateTweets = (ids: string[], viewerId: string | null) => Promise<unknown[]>;

export interface SearchRoutesOptions {
  /** The feed module's hydration; without it, items are the index's own fields. */
  hydrateTweets?: HydrateTweets | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The hits in rank order, as the feed renders them, each with its highlights added. */
async function hydrated(hits: TweetHit[], viewerId: string | null, hydrate: HydrateTweets): Promise<unknown[]> {
  const views = await hydrate(hits.map((h) => h.id), viewerId);
  const byId = new Map<string, unknown>();
  for (const view of views) {
    const id = (view as { id?: unknown } | null)?.id;
    if (typeof id === 'string') byId.set(id, view);
  }
  // A tweet deleted since it was found is simply not shown.
  return hits.flatMap((h) => {
    const view = byId.get(h.id);
    if (view === undefined) return [];
    return [h.highlights === undefined || typeof view !== 'object' ? view : { ...view, highlights: h.highlights }];
  });
}

/** `GET /api/v1/search`: tweets (ranked full text or `#tag`) and users (name prefix); anonymous allowed. */
export function searchRoutes(search: SearchService, users: Pick<UserDirectory, 'byIds' | 'search'>): FastifyPluginAsync<SearchRoutesOptions> {
  return async (fastify: FastifyInstance, options: SearchRoutesOptions) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/search',
      {
        schema: {
          tags: ['search'],
          summary: 'Search tweets (all words, ranked by relevance then recency; or #tag, newest first) or users (name prefix)',
          querystring: SearchQuerystring,
          response: { 200: SearchPageView, 400: Problem },
        },
      },
      async (request) => {
        const { q, type, cursor, limit } = request.query;
        if (type === 'users') {
          const page = await search.users(users, q, { cursor, limit });
          return { items: page.items.map((u) => ({ id: u.id, username: u.username, createdAt: iso(u.createdAt) })), nextCursor: page.nextCursor };
        }
        const page = await search.tweets(q, { cursor, limit });
        const viewerId = request.principal?.userId ?? null;
        if (options.hydrateTweets !== undefined) return { items: await hydrated(page.items, viewerId, options.hydrateTweets), nextCursor: page.nextCursor };
        const authors = await users.byIds([...new Set(page.items.map((h) => h.authorId))]);
        return {
          items: page.items.map((h) => ({
            id: h.id,
            authorId: h.authorId,
            author: authors.get(h.authorId)?.username ?? null,
            text: h.text,
            createdAt: iso(h.createdAt),
            ...(h.highlights === undefined ? {} : { highlights: h.highlights }),
          })),
          nextCursor: page.nextCursor,
        };
      },
    );
  };
}
