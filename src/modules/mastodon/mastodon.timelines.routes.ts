import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Search } from '../search/index.js';
import type { Tweet } from '../feed/index.js';
import { requireScope, viewerOf } from './mastodon.auth.js';
import type { MastodonRoutesDeps } from './mastodon.accounts.routes.js';
import { edges, readPage, setLinkHeader, type PageSource } from './mastodon.pagination.js';
import { PageQuery, TagParams, TimelineQuery } from './mastodon.schemas.js';

const tags = ['mastodon'];
const security = [{ bearer: [] }];
const LIMITS = { limit: 20, max: 40 };
/** Search pages read at most to find a tag page below max_id. */
const TAG_PAGES = 10;
const yes = (v: unknown) => v === true || v === 'true' || v === '1';

/** `/api/v1/timelines/*`: home, public (local: every account here is local) and tag. */
export function timelinesRoutes(deps: MastodonRoutesDeps & { search: Pick<Search, 'service'> }) {
  const { feed, views, search, publicUrl } = deps;
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/api/v1/timelines/home', { schema: { tags, security, summary: 'The home timeline (Mastodon): the same as /api/v1/timeline/home', querystring: PageQuery } }, async (request, reply) => {
      const { userId } = requireScope(request, 'read:statuses');
      const tweets = await readPage(
        async (limit, maxId) => {
          const page = await feed.homeTimeline(userId, { limit, cursor: maxId });
          return { items: page.items, more: page.nextCursor !== null };
        },
        request.query,
        LIMITS,
      );
      setLinkHeader(reply, request, publicUrl, edges(tweets));
      return views.statuses(tweets, userId);
    });

    app.get('/api/v1/timelines/public', { schema: { tags, summary: 'Every account’s statuses, newest first (Mastodon); all are local here', querystring: TimelineQuery } }, async (request, reply) => {
      // No federation: `remote=true` (only other servers' statuses) is empty; local and all are the same.
      if (yes(request.query.remote)) return [];
      const tweets = await readPage(async (limit, maxId) => {
        const items = await feed.actions.publicTimeline({ limit, before: maxId });
        return { items, more: items.length === limit };
      }, request.query, LIMITS);
      setLinkHeader(reply, request, publicUrl, edges(tweets));
      return views.statuses(tweets, viewerOf(request));
    });

    app.get('/api/v1/timelines/tag/:tag', { schema: { tags, summary: 'Statuses with a hashtag, newest first (Mastodon; from the search index)', params: TagParams, querystring: PageQuery } }, async (request, reply) => {
      const tag = request.params.tag.replace(/^#/, '');
      const source: PageSource<{ id: string }> = async (limit, maxId) => {
        const found: { id: string }[] = [];
        let cursor: string | undefined;
        for (let page = 0; page < TAG_PAGES && found.length < limit; page++) {
          const result = await search.service.tweets(`#${tag}`, { limit: 40, cursor });
          found.push(...result.items.filter((hit) => maxId === undefined || BigInt(hit.id) < BigInt(maxId)));
          if (result.nextCursor === null) return { items: found.slice(0, limit), more: false };
          cursor = result.nextCursor;
        }
        return { items: found.slice(0, limit), more: true };
      };
      if (!/^[\p{L}\p{M}\p{N}_]{1,100}$/u.test(tag)) return [];
      const hits = await readPage(source, request.query, LIMITS);
      const tweets: Tweet[] = await feed.tweetsByIds(hits.map((h) => h.id));
      setLinkHeader(reply, request, publicUrl, edges(hits));
      return views.statuses(tweets, viewerOf(request));
    });

    // Lists and the link timeline: features this server does not have, answered as empty.
    app.get('/api/v1/timelines/list/:id', { schema: { tags, security, summary: 'Lists are not supported (Mastodon)' } }, async (request) => {
      requireScope(request, 'read:lists');
      return [];
    });
  };
}
