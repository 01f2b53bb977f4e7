import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { registerErrorHandlers } from '../../../http/error-handler.js';
import { ManualClock } from '../../../platform/clock/index.js';
import { SnowflakeIdGenerator } from '../../../platform/ids/index.js';
import { tablesOf, type SqlDatabase } from '../../../platform/sql/index.js';
import { SqliteDatabase } from '../../../platform/sql/sqlite/sqlite-database.js';
import { accountsMigrations, createAccounts, type Accounts, type AccountsOptions } from '../index.js';
import type { AccountsTables } from '../accounts.tables.js';

/** The cheapest argon2id the config allows: tests that do not time hashing need not pay for it. */
export const CHEAP_HASH = { memoryCost: 8192, timeCost: 1, parallelism: 1 } as const;
export const TRUSTED_ORIGIN = 'https://app.example.com';

export interface AccountsFixture {
  accounts: Accounts;
  app: FastifyInstance;
  sql: SqlDatabase<AccountsTables>;
  clock: ManualClock;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The module behind a bare Fastify wired as the app wires it: cookie plugin, problem+json errors,
 * and the onRequest hook that sets `request.principal`. On `overrides.sql` (migrated here, closed
 * by `close`) or else an in-memory SQLite database.
 */
export async function startAccountsFixture(overrides: Partial<AccountsOptions> = {}): Promise<AccountsFixture> {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'accounts-test-'));
  const raw = overrides.sql ?? new SqliteDatabase({ filename: ':memory:' });
  await raw.migrate(accountsMigrations);
  const accounts = createAccounts({
    sql: raw,
    clock,
    ids: new SnowflakeIdGenerator(clock, 1),
    logger: pino({ level: 'silent' }),
    dataDir,
    issuer: 'https://issuer.test',
    audience: 'blueprint-api',
    accessTokenTtlSeconds: 900,
    refreshTokenTtlSeconds: 30 * 86_400,
    passwordHash: CHEAP_HASH,
    trustedOrigins: [TRUSTED_ORIGIN],
    ...overrides,
  });
  await accounts.start();
  const app = Fastify({ ajv: { customOptions: { allErrors: true } } });
  await app.register(cookie);
  registerErrorHandlers(app);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    request.principal = await accounts.authenticate(request.headers.authorization);
  });
  await app.register(accounts.routes);
  await app.ready();
  return {
    accounts,
    app,
    sql: tablesOf<AccountsTables>(raw),
    clock,
    dataDir,
    async close() {
      await app.close();
      await accounts.close();
      await raw.close();
      if (overrides.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
