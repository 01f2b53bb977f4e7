import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { openAccountsDb } from './testing/accounts-db.js';
import { UsersRepository, type UserRecord } from './users.repository.js';

const user = (id: string, username: string): UserRecord => ({ id, username, email: `${username}@example.com`, passwordHash: 'h', createdAt: Number(id) });

describeEachDialect('UsersRepository', (dialect) => {
  let db: Awaited<ReturnType<typeof openAccountsDb>>;
  let users: UsersRepository;
  beforeEach(async () => {
    db = await openAccountsDb(dialect);
    users = new UsersRepository(db.sql);
    for (const [id, name] of [['1', 'ann'], ['2', 'anna'], ['3', 'an_x'], ['4', 'anxious'], ['5', 'an%y'], ['6', 'bob']] as const) {
      expect(await users.insert(user(id, name))).toBe(true);
    }
  });
  afterEach(() => db.close());

  it('answers false, not an error, for a taken username or email', async () => {
    expect(await users.insert(user('7', 'ann'))).toBe(false);
    expect(await users.insert({ ...user('8', 'new'), email: 'bob@example.com' })).toBe(false);
    expect(await users.taken('ann', 'nobody@example.com')).toEqual({ username: true, email: false });
  });

  it('finds names by prefix in name order, pages, and reads LIKE wildcards in the prefix as text', async () => {
    expect((await users.searchByPrefix('an', 10)).map((u) => u.username)).toEqual(['an%y', 'an_x', 'ann', 'anna', 'anxious']);
    expect((await users.searchByPrefix('an', 2, 'an_x')).map((u) => u.username)).toEqual(['ann', 'anna']);
    expect((await users.searchByPrefix('an_', 10)).map((u) => u.username)).toEqual(['an_x']);
    expect((await users.searchByPrefix('an%', 10)).map((u) => u.username)).toEqual(['an%y']);
    // Any case, on both engines (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
    expect((await users.searchByPrefix('AN_', 10)).map((u) => u.username)).toEqual(['an_x']);
  });

  it('reads public profiles with times as numbers', async () => {
    const found = await users.publicByIds(['2', '6', '99']);
    expect(found.sort((a, b) => a.id.localeCompare(b.id))).toEqual([{ id: '2', username: 'anna', createdAt: 2 }, { id: '6', username: 'bob', createdAt: 6 }]);
  });
});
