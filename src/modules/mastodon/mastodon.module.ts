import { defineModule } from '../../shared/module.js';
import type { Principal, UserDirectory } from '../accounts/index.js';
import type { Feed } from '../feed/index.js';
import type { Notifications } from '../notifications/index.js';
import type { Search } from '../search/index.js';
import type { Stream } from '../stream/index.js';
import { createMastodon, mastodonMigrations } from './index.js';

export interface MastodonModule {
  /** Mastodon's client API, outside the JSON API scope; it needs the app's authentication hook. */
  readonly siteRoutes: ReturnType<typeof createMastodon>['routes'];
  close(): Promise<void>;
}

interface MastodonNeeds {
  users: { directory: UserDirectory };
  oauth: { authenticate(authorization: string): Promise<Principal | null> };
  stream: Stream;
  feed: { feed: Feed };
  search: Pick<Search, 'service'>;
  notifications: { notifications: Notifications };
}

/** Mastodon's client API over the feed, its notifications and search (API role), for apps holding an OAuth token. */
export const mastodonModule = defineModule({
  name: 'mastodon',
  needs: ['users', 'oauth', 'stream', 'feed', 'search', 'notifications'],
  migrations: () => mastodonMigrations,
  create: ({ config, adapters, clock, logger }, needs: MastodonNeeds): MastodonModule => {
    const mastodon = createMastodon({
      sql: adapters.sql,
      clock,
      feed: needs.feed.feed,
      users: needs.users.directory,
      notifications: needs.notifications.notifications,
      search: needs.search,
      stream: needs.stream,
      publicUrl: config.PUBLIC_URL,
      authenticate: (authorization) => needs.oauth.authenticate(authorization),
      onError: (err) => logger.warn({ err }, 'mastodon streaming failed'),
    });
    return { siteRoutes: mastodon.routes, close: async () => {} };
  },
});
