import { afterEach, beforeEach, expect, it } from 'vitest';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { IDEMPOTENCY_TTL_MS, IdempotencyKeys } from './mastodon.idempotency.js';
import { mastodonMigrations } from './mastodon.migrations.js';
import type { MastodonTables } from './mastodon.tables.js';

describeEachDialect('IdempotencyKeys', (dialect) => {
  let sql: SqlDatabase<MastodonTables>;
  let keys: IdempotencyKeys;
  beforeEach(async () => {
    const raw = await dialect.open();
    await raw.migrate(mastodonMigrations);
    sql = tablesOf<MastodonTables>(raw);
    keys = new IdempotencyKeys(sql);
  });
  afterEach(() => sql.close());

  it('posts once per user and key within the hour, whatever the concurrency', async () => {
    let posts = 0;
    const post = async () => {
      posts++;
      await new Promise((r) => setTimeout(r, 20));
      return String(100 + posts);
    };
    const first = await keys.once('1', 'k', 0, post);
    expect(first).toEqual({ statusId: '101', replayed: false });
    expect(await keys.once('1', 'k', 1_000, post)).toEqual({ statusId: '101', replayed: true });
    // Another user's same key is theirs.
    expect((await keys.once('2', 'k', 1_000, post)).replayed).toBe(false);
    // Concurrent first uses: one posts, the others are told it is in progress (409) or get its status.
    const racing = await Promise.allSettled(Array.from({ length: 4 }, () => keys.once('3', 'r', 0, post)));
    const done = racing.filter((r) => r.status === 'fulfilled');
    expect(done.filter((r) => !r.value.replayed)).toHaveLength(1);
    for (const r of racing) if (r.status === 'rejected') expect(r.reason).toMatchObject({ status: 409 });
    expect(posts).toBe(3);
    // After the hour the key is new again.
    expect(await keys.once('1', 'k', IDEMPOTENCY_TTL_MS + 1, post)).toMatchObject({ replayed: false });
  });

  it('frees the key when the post fails, and sweeps old keys', async () => {
    await expect(keys.once('1', 'x', 0, () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await keys.once('1', 'x', 1, async () => '7')).toEqual({ statusId: '7', replayed: false });
    await keys.sweep(IDEMPOTENCY_TTL_MS + 10);
    expect(await sql.db.selectFrom('mastodon_idempotency').selectAll().execute()).toEqual([]);
  });
});
