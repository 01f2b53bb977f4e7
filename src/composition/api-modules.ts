import { accountsModule, usersModule } from '../modules/accounts/accounts.module.js';
import { analyticsModule } from '../modules/analytics/analytics.module.js';
import { chatModule } from '../modules/chat/chat.module.js';
import { feedModule } from '../modules/feed/feed.module.js';
import { linksModule, redirectsModule } from '../modules/links/links.module.js';
import { mastodonModule } from '../modules/mastodon/mastodon.module.js';
import { notificationsModule } from '../modules/notifications/notifications.module.js';
import { oauthModule } from '../modules/oauth/oauth.module.js';
import { searchModule } from '../modules/search/search.module.js';
import { streamModule } from '../modules/stream/stream.module.js';

/** The modules the API role serves, each after those it needs (apart from api.ts so that the command line migrates without loading the HTTP app). */
export const API_MODULES = [
  usersModule,
  accountsModule,
  oauthModule,
  linksModule,
  analyticsModule,
  redirectsModule,
  streamModule,
  feedModule,
  searchModule,
  notificationsModule,
  mastodonModule,
  chatModule,
] as const;
