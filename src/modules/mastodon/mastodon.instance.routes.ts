import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Search } from '../search/index.js';
import { AppError, NotFoundError } from '../../shared/errors/index.js';
import { MAX_TWEET_LENGTH } from '../feed/index.js';
import { requireScope, viewerOf } from './mastodon.auth.js';
import type { MastodonRoutesDeps } from './mastodon.accounts.routes.js';
import { MISSING_IMAGE_PATH } from './mastodon.entities.js';
import { SearchQuery } from './mastodon.schemas.js';
import { MASTODON_CLIENT } from './mastodon.notifications.routes.js';

const tags = ['mastodon'];
/** The Mastodon API version this subset follows; clients read features from it. */
export const MASTODON_VERSION = '4.2.0';
const SOFTWARE = 'blueprint';
const SOFTWARE_VERSION = '0.1.0';
/** A 1×1 grey PNG: every account's avatar and header (there are no uploads). */
const MISSING_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mO8dx8AAm8BtnKXsVgAAAAASUVORK5CYII=', 'base64');
const SEARCH_MAX_OFFSET = 200;

/** Instance metadata, nodeinfo, search v2, and empty answers for the features this server lacks. */
export function instanceRoutes(deps: MastodonRoutesDeps & { search: Pick<Search, 'service'> }) {
  const { feed, users, views, search, publicUrl } = deps;
  const host = new URL(publicUrl).host;
  const streaming = publicUrl.replace(/^http/, 'ws');
  const configuration = {
    statuses: { max_characters: MAX_TWEET_LENGTH, max_media_attachments: 0, characters_reserved_per_url: 23 },
    media_attachments: { supported_mime_types: [], image_size_limit: 0, image_matrix_limit: 0, video_size_limit: 0, video_frame_rate_limit: 0, video_matrix_limit: 0 },
    polls: { max_options: 0, max_characters_per_option: 0, min_expiration: 0, max_expiration: 0 },
    accounts: { max_featured_tags: 0 },
  };
  const description = 'Blueprint: a Twitter-style feed speaking the Mastodon client API.';
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/api/v1/instance', { schema: { tags, summary: 'This server (Mastodon v1)' } }, async () => ({
      uri: host,
      title: 'Blueprint',
      short_description: description,
      description,
      email: '',
      version: `${MASTODON_VERSION} (compatible; ${SOFTWARE} ${SOFTWARE_VERSION})`,
      urls: { streaming_api: streaming },
      stats: { user_count: 0, status_count: 0, domain_count: 1 },
      thumbnail: null,
      languages: ['en'],
      registrations: true,
      approval_required: false,
      invites_enabled: false,
      configuration,
      contact_account: null,
      rules: [],
    }));

    app.get('/api/v2/instance', { schema: { tags, summary: 'This server (Mastodon v2)' } }, async () => ({
      domain: host,
      title: 'Blueprint',
      version: `${MASTODON_VERSION} (compatible; ${SOFTWARE} ${SOFTWARE_VERSION})`,
      source_url: '',
      description,
      usage: { users: { active_month: 0 } },
      thumbnail: { url: `${publicUrl}${MISSING_IMAGE_PATH}` },
      languages: ['en'],
      configuration: { urls: { streaming }, ...configuration, translation: { enabled: false } },
      registrations: { enabled: true, approval_required: false, message: null },
      contact: { email: '', account: null },
      rules: [],
    }));

    app.get('/.well-known/nodeinfo', { schema: { tags, summary: 'Where the nodeinfo document is' } }, async () => ({
      links: [{ rel: 'http://nodeinfo.diaspora.software/ns/schema/2.0', href: `${publicUrl}/nodeinfo/2.0` }],
    }));
    app.get('/nodeinfo/2.0', { schema: { tags, summary: 'nodeinfo 2.0' } }, async (_request, reply) => {
      reply.type('application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"');
      return {
        version: '2.0',
        software: { name: SOFTWARE, version: SOFTWARE_VERSION },
        protocols: [],
        services: { inbound: [], outbound: [] },
        usage: { users: {}, localPosts: 0 },
        openRegistrations: true,
        metadata: { nodeName: 'Blueprint', mastodonApiVersion: MASTODON_VERSION },
      };
    });

    app.get(MISSING_IMAGE_PATH, { schema: { hide: true } }, async (_request, reply) => reply.type('image/png').header('cache-control', 'public, max-age=86400').send(MISSING_PNG));

    app.get('/api/v2/search', { schema: { tags, summary: 'Search accounts, statuses and hashtags (Mastodon v2)', querystring: SearchQuery } }, async (request) => {
      const { q, type } = request.query;
      const limit = Math.min(request.query.limit ?? 20, 40);
      const offset = Math.min(request.query.offset ?? 0, SEARCH_MAX_OFFSET);
      const want = (kind: string) => type === undefined || type === kind;
      const query = q.trim();
      const empty = { accounts: [], statuses: [], hashtags: [] };
      if (query === '') return empty;
      const accounts = want('accounts') ? (await search.service.users(users, query, { limit: offset + limit })).items.slice(offset).map((u) => u.username) : [];
      const hits = want('statuses') ? (await search.service.tweets(query, { limit: offset + limit })).items.slice(offset) : [];
      const tag = /^#?([\p{L}\p{M}\p{N}_]{1,100})$/u.exec(query)?.[1]?.toLowerCase();
      return {
        accounts: await views.accountsByName(accounts),
        statuses: await views.statuses(await feed.tweetsByIds(hits.map((h) => h.id)), viewerOf(request)),
        hashtags: want('hashtags') && tag !== undefined && offset === 0 ? [{ name: tag, url: `${publicUrl}/tags/${encodeURIComponent(tag)}`, history: [], following: false }] : [],
      };
    });

    // Features this server does not have: answered as an instance without them does (empty lists).
    for (const path of ['custom_emojis', 'filters', 'lists', 'bookmarks', 'mutes', 'blocks', 'follow_requests', 'announcements', 'trends', 'trends/tags', 'trends/statuses', 'trends/links', 'suggestions', 'domain_blocks', 'followed_tags', 'endorsements', 'featured_tags', 'instance/peers', 'instance/activity', 'instance/rules', 'scheduled_statuses']) {
      app.get(`/api/v1/${path}`, { schema: { tags, summary: 'Not supported here: always empty (Mastodon)' } }, async () => []);
    }
    // The path is the chat's too (/api/v1/conversations): OAuth tokens get Mastodon's empty list, others the chat.
    app.get('/api/v1/conversations', { constraints: MASTODON_CLIENT, schema: { tags, summary: 'Not supported here: always empty (Mastodon; other tokens get the chat’s conversations)' } }, async () => []);
    app.get('/api/v2/filters', { schema: { tags, summary: 'Not supported here: always empty (Mastodon)' } }, async () => []);
    app.get('/api/v2/suggestions', { schema: { tags, summary: 'Not supported here: always empty (Mastodon)' } }, async () => []);
    app.get('/api/v1/favourites', { schema: { tags, summary: 'Your favourites, newest first (Mastodon)' } }, async (request) => {
      requireScope(request, 'read:favourites');
      return [];
    });
    app.get('/api/v1/markers', { schema: { tags, summary: 'Read positions are not kept here (Mastodon)' } }, async (request) => {
      requireScope(request, 'read:statuses');
      return {};
    });
    app.get('/api/v1/preferences', { schema: { tags, summary: 'Posting and reading preferences (Mastodon)' } }, async (request) => {
      requireScope(request, 'read:accounts');
      return { 'posting:default:visibility': 'public', 'posting:default:sensitive': false, 'posting:default:language': null, 'reading:expand:media': 'default', 'reading:expand:spoilers': false };
    });
    for (const path of ['/api/v1/media', '/api/v2/media']) {
      app.post(path, { schema: { tags, summary: 'Media uploads are not supported (Mastodon)' } }, async () => {
        throw new AppError('unprocessable', 422, 'Media uploads are not supported on this server', { extensions: { error: 'Media uploads are not supported on this server' } });
      });
    }
    app.get('/api/v1/polls/:id', { schema: { tags, summary: 'There are no polls here (Mastodon)' } }, async () => {
      throw new NotFoundError('Record not found', 'poll_not_found');
    });
  };
}
