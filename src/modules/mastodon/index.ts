import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../platform/clock/index.js';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import type { UserDirectory } from '../accounts/index.js';
import type { Feed } from '../feed/index.js';
import type { Notifications } from '../notifications/index.js';
import { acceptForms } from '../oauth/index.js';
import type { Search } from '../search/index.js';
import type { Principal } from '../accounts/index.js';
import type { Stream } from '../stream/index.js';
import { TimelinePollers } from './mastodon.pollers.js';
import { streamingRoutes } from './mastodon.streaming.js';
import { accountsRoutes } from './mastodon.accounts.routes.js';
import { IdempotencyKeys } from './mastodon.idempotency.js';
import { instanceRoutes } from './mastodon.instance.routes.js';
import { notificationsRoutes } from './mastodon.notifications.routes.js';
import { statusesRoutes } from './mastodon.statuses.routes.js';
import type { MastodonTables } from './mastodon.tables.js';
import { timelinesRoutes } from './mastodon.timelines.routes.js';
import { MastodonViews } from './mastodon.views.js';

export { mastodonMigrations } from './mastodon.migrations.js';

export interface MastodonDeps {
  sql: SqlDatabase<unknown>;
  clock: Clock;
  feed: Feed;
  users: UserDirectory;
  notifications: Notifications;
  search: Pick<Search, 'service'>;
  publicUrl: string;
  /** The live stream module (its per-user events feed the `user` streams). */
  stream: Stream;
  /** The app's check of `Bearer <token>`, for `?access_token=` on the streaming socket. */
  authenticate(authorization: string): Promise<Principal | null>;
  /** How often a public or hashtag stream with listeners reads its timeline (default 1 s). */
  streamPollMs?: number;
  onError?: (error: unknown) => void;
}

export interface Mastodon {
  /** Mastodon's client API over the feed, its notifications and search; needs the app's authentication hook. */
  routes: FastifyPluginAsync;
}

// OAuth access tokens (the only credential a Mastodon app has) announce themselves by prefix.
const OAUTH_BEARER = /^bearer +bpo_/i;

/**
 * Where Mastodon and Blueprint's own API share a path (`GET /api/v1/notifications`), the request's
 * credential picks the answer: an app's OAuth token gets Mastodon's, anything else the native one.
 * Decided by the router (a constraint), so neither route knows of the other.
 */
function registerClientConstraint(app: FastifyInstance): void {
  if (app.hasConstraintStrategy('client')) return;
  app.addConstraintStrategy({
    name: 'client',
    storage() {
      const routes = new Map<string, unknown>();
      return { get: (client: string) => (routes.get(client) ?? null) as never, set: (client: string, store: unknown) => void routes.set(client, store) };
    },
    deriveConstraint: (request) => (OAUTH_BEARER.test(request.headers.authorization ?? '') ? 'mastodon' : 'native'),
    mustMatchWhenDerived: false,
  });
}

/** Mastodon answers errors as `{ "error": "..." }`: the problem document gains that member. */
function mastodonErrors(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string' || !String(reply.getHeader('content-type')).startsWith('application/problem+json')) return payload;
    try {
      const problem = JSON.parse(payload) as Record<string, unknown>;
      if (problem.error === undefined) return JSON.stringify({ ...problem, error: problem.detail });
    } catch {
      // Not ours to rewrite.
    }
    return payload;
  });
}

/** The Mastodon client API module: the same feed, accounts and notifications under Mastodon's shapes. */
export function createMastodon(deps: MastodonDeps): Mastodon {
  const views = new MastodonViews({ feed: deps.feed, users: deps.users, publicUrl: deps.publicUrl });
  const idempotency = new IdempotencyKeys(tablesOf<MastodonTables>(deps.sql));
  const pollers = new TimelinePollers({ intervalMs: deps.streamPollMs ?? 1_000, maxTimelines: 1_000, onError: deps.onError ?? (() => {}) });
  const shared = { feed: deps.feed, users: deps.users, views, publicUrl: deps.publicUrl };
  return {
    routes: async (app) => {
      registerClientConstraint(app);
      acceptForms(app);
      mastodonErrors(app);
      await app.register(instanceRoutes({ ...shared, search: deps.search }));
      await app.register(accountsRoutes(shared));
      await app.register(statusesRoutes({ ...shared, idempotency, clock: deps.clock }));
      await app.register(timelinesRoutes({ ...shared, search: deps.search }));
      await app.register(notificationsRoutes({ ...shared, notifications: deps.notifications }));
      await app.register(streamingRoutes({ ...shared, stream: deps.stream, search: deps.search, pollers, authenticate: deps.authenticate }));
    },
  };
}
