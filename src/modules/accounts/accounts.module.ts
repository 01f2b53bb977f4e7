import { defineModule, noMigrations } from '../../shared/module.js';
import { accountsMigrations } from './accounts.migrations.js';
import { createAccounts, createUserDirectory, type Accounts, type UserDirectory } from './index.js';

/** Public profiles for other modules (feed, search, notifications), in every role. */
export interface UsersModule {
  readonly directory: UserDirectory;
  close(): Promise<void>;
}

/** The users directory alone: what the worker role needs of accounts. Its table belongs to `accounts`. */
export const usersModule = defineModule({
  name: 'users',
  needs: [],
  migrations: noMigrations,
  create: ({ adapters }): UsersModule => ({ directory: createUserDirectory(adapters.sql), close: async () => {} }),
});

/** Users, sessions, API keys, the audit trail (API role). */
export const accountsModule = defineModule({
  name: 'accounts',
  needs: ['users'],
  migrations: () => accountsMigrations,
  create: ({ config, adapters, clock, ids, logger }, { users }: { users: UsersModule }): Accounts =>
    createAccounts({
      sql: adapters.sql,
      clock,
      ids,
      logger,
      dataDir: config.DATA_DIR,
      issuer: config.JWT_ISSUER ?? config.PUBLIC_URL,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtlSeconds: config.REFRESH_TOKEN_TTL_DAYS * 86_400,
      signingKeyPem: config.JWT_PRIVATE_KEY,
      passwordHash: { memoryCost: config.PASSWORD_HASH_MEMORY_KIB, timeCost: config.PASSWORD_HASH_ITERATIONS, parallelism: config.PASSWORD_HASH_PARALLELISM },
      trustedOrigins: config.trustedOrigins,
      directory: users.directory,
      bus: adapters.pubsub,
    }),
});
