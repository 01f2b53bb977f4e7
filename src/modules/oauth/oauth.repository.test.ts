import { afterEach, beforeEach, expect, it } from 'vitest';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { oauthMigrations } from './oauth.migrations.js';
import type { OAuthClient, OAuthGrant } from './oauth.model.js';
import { OAuthRepository } from './oauth.repository.js';
import type { OAuthTables } from './oauth.tables.js';

const client: OAuthClient = { id: '10', clientId: 'public-id', secretHash: 'h'.repeat(64), name: 'App', website: null, redirectUris: ['https://a.example/cb', 'urn:ietf:wg:oauth:2.0:oob'], scopes: 'read write', createdAt: 1 };
const grant = (id: string, userId: string | null = '7'): OAuthGrant => ({ id, clientId: '10', userId, username: userId === null ? null : 'ann', scopes: 'read', createdAt: 5, expiresAt: 1_000, revokedAt: null });

describeEachDialect('OAuthRepository', (dialect) => {
  let sql: SqlDatabase<OAuthTables>;
  let repo: OAuthRepository;
  beforeEach(async () => {
    const raw = await dialect.open();
    await raw.migrate(oauthMigrations);
    sql = tablesOf<OAuthTables>(raw);
    repo = new OAuthRepository(sql);
    await repo.insertClient(client);
  });
  afterEach(() => sql.close());

  it('keeps clients with their redirect URIs in order', async () => {
    expect(await repo.findClient('public-id')).toEqual(client);
    expect(await repo.findClient('other')).toBeNull();
  });

  it('lets exactly one of concurrent exchanges use a code, and remembers the grant it made', async () => {
    await repo.insertCode('c1', { clientId: '10', userId: '7', username: 'ann', redirectUri: 'https://a.example/cb', scopes: 'read', codeChallenge: null, createdAt: 1, expiresAt: 100, usedAt: null, grantId: null });
    const wins = await Promise.all(Array.from({ length: 5 }, () => repo.transaction((trx) => repo.useCode(trx, 'c1', 2))));
    expect(wins.filter(Boolean)).toHaveLength(1);
    await repo.transaction(async (trx) => {
      await repo.insertGrant(trx, grant('20'));
      await repo.setCodeGrant(trx, 'c1', '20');
    });
    expect(await repo.transaction((trx) => repo.findCode(trx, 'c1'))).toMatchObject({ usedAt: 2, grantId: '20', redirectUri: 'https://a.example/cb' });
  });

  it('finds access tokens with their grant and client, spends refresh tokens once, and revokes grants for their user only', async () => {
    await repo.transaction(async (trx) => {
      await repo.insertGrant(trx, grant('20'));
      await repo.insertAccessToken(trx, { hash: 'a1', grantId: '20', scopes: 'read', createdAt: 5, expiresAt: null });
      await repo.insertRefreshToken(trx, { hash: 'r1', grantId: '20', createdAt: 5 });
    });
    expect(await repo.findAccessToken('a1')).toMatchObject({ clientId: 'public-id', scopes: 'read', expiresAt: null, revokedAt: null, grant: { id: '20', userId: '7', username: 'ann' } });
    const spent = await Promise.all(Array.from({ length: 4 }, () => repo.transaction((trx) => repo.spendRefreshToken(trx, 'r1', 6))));
    expect(spent.filter(Boolean)).toHaveLength(1);
    expect(await repo.transaction((trx) => repo.findRefreshToken(trx, 'r1'))).toMatchObject({ spentAt: 6 });
    await repo.transaction((trx) => repo.revokeAccessTokens(trx, '20', 7));
    expect((await repo.findAccessToken('a1'))?.revokedAt).toBe(7);
    expect(await repo.listAuthorized('7', 10)).toEqual([{ id: '20', name: 'App', website: null, scopes: 'read', createdAt: 5 }]);
    expect(await repo.revokeGrant(undefined, '20', 8, 'user', '8')).toBe(false);
    expect(await repo.revokeGrant(undefined, '20', 8, 'user', '7')).toBe(true);
    expect(await repo.revokeGrant(undefined, '20', 9, 'user', '7')).toBe(false);
    expect(await repo.listAuthorized('7', 10)).toEqual([]);
  });

  it('lists a user’s live grants newest first, leaving out expired ones and the client’s own', async () => {
    await repo.transaction(async (trx) => {
      for (const g of [grant('9'), grant('100'), { ...grant('11'), expiresAt: 10 }, grant('12', null)]) await repo.insertGrant(trx, g);
    });
    expect((await repo.listAuthorized('7', 10)).map((g) => g.id)).toEqual(['100', '9']);
  });
});
