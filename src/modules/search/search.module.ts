import type { ConsumerContext } from '../../shared/module.js';
import { defineModule } from '../../shared/module.js';
import type { UserDirectory } from '../accounts/index.js';
import { createSearch, searchMigrations, type HydrateTweets } from './index.js';
import type { SearchService } from './search.service.js';

export interface SearchModule {
  readonly service: SearchService;
  readonly routes: (app: Parameters<ReturnType<typeof createSearch>['routes']>[0]) => Promise<void>;
  close(): Promise<void>;
}

/** `GET /api/v1/search` (API role): hits hydrated by the feed, users by name prefix. */
export const searchModule = defineModule({
  name: 'search',
  needs: ['users', 'feed'],
  migrations: searchMigrations,
  create: ({ adapters, clock }, { users, feed }: { users: { directory: UserDirectory }; feed: { hydrateTweets: HydrateTweets } }): SearchModule => {
    const search = createSearch({ sql: adapters.sql, users: users.directory, clock });
    return {
      service: search.service,
      routes: (app) => search.routes(app, { hydrateTweets: (ids, viewerId) => feed.hydrateTweets(ids, viewerId) }),
      close: async () => {},
    };
  },
});

/** The indexer (worker role): keeps the full-text index current from feed events. */
export const searchIndexModule = defineModule({
  name: 'search-index',
  needs: ['users'],
  migrations: searchMigrations,
  create: ({ adapters, clock }, { users }: { users: { directory: UserDirectory } }) => {
    const search = createSearch({ sql: adapters.sql, users: users.directory, clock });
    return {
      consumers: ({ queue, registry, around }: ConsumerContext) => [search.startConsumer(queue, { registry, around })],
      close: async () => {},
    };
  },
});
