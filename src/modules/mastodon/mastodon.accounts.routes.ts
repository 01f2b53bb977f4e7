import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { UserDirectory } from '../accounts/index.js';
import type { Feed } from '../feed/index.js';
import { NotFoundError } from '../../shared/errors/index.js';
import { actorOf, requireScope, viewerOf } from './mastodon.auth.js';
import { accountEntity, relationshipEntity } from './mastodon.entities.js';
import { edges, readPage, setLinkHeader } from './mastodon.pagination.js';
import { IdParams, LookupQuery, PageQuery, RelationshipsQuery } from './mastodon.schemas.js';
import type { MastodonViews } from './mastodon.views.js';

export interface MastodonRoutesDeps {
  feed: Feed;
  users: UserDirectory;
  views: MastodonViews;
  publicUrl: string;
}

const tags = ['mastodon'];
const security = [{ bearer: [] }];

/** `/api/v1/accounts/*`: profiles, their statuses and follows, following and relationships. */
export function accountsRoutes(deps: MastodonRoutesDeps) {
  const { feed, users, views, publicUrl } = deps;
  /** The user of an account id; 404 like Mastodon for an unknown one. */
  const userById = async (id: string) => {
    const user = /^[0-9]{1,20}$/.test(id) ? (await users.byIds([id])).get(id) : undefined;
    if (user === undefined) throw new NotFoundError('Record not found', 'account_not_found');
    return user;
  };
  const relationship = async (me: string, other: string) => {
    const [following, followedBy] = await Promise.all([feed.isFollowing(me, other), feed.isFollowing(other, me)]);
    return relationshipEntity(other, following, followedBy);
  };

  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/api/v1/accounts/verify_credentials', { schema: { tags, security, summary: 'The signed-in account, with its source (Mastodon)' } }, async (request) => {
      const principal = requireScope(request, 'read:accounts', 'profile');
      const account = accountEntity(await feed.actions.profile(principal.username), publicUrl);
      return { ...account, source: { privacy: 'public', sensitive: false, language: '', note: '', fields: [], follow_requests_count: 0 } };
    });

    app.get('/api/v1/accounts/lookup', { schema: { tags, summary: 'An account by name (Mastodon)', querystring: LookupQuery } }, async (request) => {
      // `name` or `name@this-host`: there are no remote accounts.
      const name = request.query.acct.replace(/^@/, '').split('@')[0]!;
      const [account] = /^[A-Za-z0-9_]{1,30}$/.test(name) ? await views.accountsByName([name.toLowerCase()]) : [];
      if (account === undefined) throw new NotFoundError('Record not found', 'account_not_found');
      return account;
    });

    app.get('/api/v1/accounts/relationships', { schema: { tags, security, summary: 'Relationships with accounts (Mastodon)', querystring: RelationshipsQuery } }, async (request) => {
      const me = requireScope(request, 'read:follows').userId;
      const query = request.query as Record<string, unknown>;
      const raw = query['id[]'] ?? query.id;
      const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String).filter((id) => /^[0-9]{1,20}$/.test(id)).slice(0, 40);
      const known = await users.byIds(ids);
      return Promise.all(ids.filter((id) => known.has(id)).map((id) => relationship(me, id)));
    });

    app.get('/api/v1/accounts/:id', { schema: { tags, summary: 'An account (Mastodon)', params: IdParams } }, async (request) => {
      const user = await userById(request.params.id);
      return accountEntity(await feed.actions.profile(user.username), publicUrl);
    });

    app.get('/api/v1/accounts/:id/statuses', { schema: { tags, summary: 'An account’s statuses, newest first (Mastodon)', params: IdParams, querystring: PageQuery } }, async (request, reply) => {
      const user = await userById(request.params.id);
      const query = request.query as Record<string, unknown>;
      // No boosts, pins or media here: those filters leave nothing (pinned) or change nothing.
      if (query.pinned === 'true' || query.pinned === true || query.only_media === 'true' || query.only_media === true) return [];
      const tweets = await readPage(
        async (limit, maxId) => {
          const page = await feed.actions.userTimeline(user.id, { limit, cursor: maxId });
          return { items: page.items, more: page.nextCursor !== null };
        },
        request.query,
        { limit: 20, max: 40 },
      );
      const statuses = await views.statuses(tweets, viewerOf(request));
      setLinkHeader(reply, request, publicUrl, edges(tweets));
      return statuses;
    });

    for (const direction of ['followers', 'following'] as const) {
      app.get(`/api/v1/accounts/:id/${direction}`, { schema: { tags, summary: `An account’s ${direction} (Mastodon)`, params: IdParams, querystring: PageQuery } }, async (request, reply) => {
        const user = await userById(request.params.id);
        const listed = await readPage(
          async (limit, maxId) => {
            const page = await feed.actions.followList(direction, user.username, limit, maxId);
            return { items: page.items, more: page.nextCursor !== null };
          },
          request.query,
          { limit: 40, max: 80 },
        );
        setLinkHeader(reply, request, publicUrl, edges(listed));
        return views.accountsByName(listed.map((u) => u.username));
      });
    }

    for (const action of ['follow', 'unfollow'] as const) {
      app.post(`/api/v1/accounts/:id/${action}`, { schema: { tags, security, summary: `${action === 'follow' ? 'Follow' : 'Unfollow'} an account (Mastodon)`, params: IdParams } }, async (request) => {
        const principal = requireScope(request, 'write:follows');
        const user = await userById(request.params.id);
        if (action === 'follow') await feed.actions.follow(actorOf(principal), user.username);
        else await feed.actions.unfollow(actorOf(principal), user.username);
        return relationship(principal.userId, user.id);
      });
    }
  };
}
