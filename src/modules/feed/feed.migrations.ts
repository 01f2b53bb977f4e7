import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlDialectName } from '../../platform/sql/index.js';

/**
 * Schema of the feed module for a dialect, in name order. Ids are 64-bit integers (see feed.tables.ts).
 * SQLite specifics: `integer primary key` makes the id the rowid (the table is the primary index,
 * no second B-tree); link tables are `without rowid` (clustered on their key). PostgreSQL gets
 * `bigint` (its `integer` is 32-bit) and ordinary heap tables.
 */
export function feedMigrations(dialect: SqlDialectName): Record<string, Migration> {
  const sqlite = dialect === 'sqlite';
  const idType = sqlite ? 'integer' : 'bigint';
  const clustered = sqlite ? sql`without rowid` : sql``;
  return {
    'feed/0001_tables': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('tweets')
          .addColumn('id', idType, (c) => c.primaryKey())
          .addColumn('author_id', 'bigint', (c) => c.notNull())
          .addColumn('author_username', 'varchar(64)', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('reply_to', 'bigint')
          .addColumn('like_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('reply_count', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('pushed', 'integer', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('deleted_at', 'bigint')
          .execute();
        // User timelines (TweetsRepository.byAuthor) and the database merge of home timelines
        // (TweetsRepository.latestOfAuthors: rebuild, and pages past the cached ids): live tweets of
        // one author, newest first, from an id down. Partial: deleted tweets never cost a read.
        // `deleted_at` trails so that SQLite sees the merge's `deleted_at is null` as covered and
        // answers from the index alone (PostgreSQL does not need it; it costs a null per entry).
        await db.schema
          .createIndex('tweets_author_live_idx')
          .on('tweets')
          .columns(['author_id', 'id desc', 'deleted_at'])
          .where(sql.ref('deleted_at'), 'is', null)
          .execute();
        // The read-time pull (TweetsRepository.latestOfAuthors with `pulledOnly`): live tweets that
        // were not fanned out, of the celebrities a reader follows. Only those rows are in it.
        await db.schema
          .createIndex('tweets_author_pulled_idx')
          .on('tweets')
          .columns(['author_id', 'id desc'])
          .where(sql<boolean>`deleted_at is null and pushed = 0`)
          .execute();

        // Primary key (user_id, tweet_id): like/unlike idempotence, and "liked by me" of a page.
        await db.schema
          .createTable('likes')
          .addColumn('user_id', 'bigint', (c) => c.notNull())
          .addColumn('tweet_id', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('likes_pk', ['user_id', 'tweet_id'])
          .modifyEnd(clustered)
          .execute();

        // Primary key (follower_id, followee_id): follow/unfollow idempotence, a reader's followed
        // authors (FollowsRepository.followingOf), the "following" list.
        await db.schema
          .createTable('follows')
          .addColumn('follower_id', 'bigint', (c) => c.notNull())
          .addColumn('followee_id', 'bigint', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('follows_pk', ['follower_id', 'followee_id'])
          .modifyEnd(clustered)
          .execute();
        // Follower scans (FollowsRepository.followersAfter, paged by follower id) and the
        // "followers" list: an author's followers in id order.
        await db.schema.createIndex('follows_followee_idx').on('follows').columns(['followee_id', 'follower_id']).execute();

        await db.schema
          .createTable('feed_users')
          .addColumn('user_id', idType, (c) => c.primaryKey())
          .addColumn('followers', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('following', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('tweets', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('last_read_at', 'bigint')
          .addColumn('pulled', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
      },
    },
    // Likes live with the tweet they count: keyed by its author, they move with it between shards.
    'feed/0002_likes_author': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('likes').addColumn('author_id', 'bigint').execute();
        await sql`update likes set author_id = (select t.author_id from tweets t where t.id = likes.tweet_id)`.execute(db);
        await db.schema.createIndex('likes_author_idx').on('likes').column('author_id').execute();
      },
    },
    // A tweet's replies (the Mastodon API's thread context). Partial: most tweets are no replies.
    'feed/0003_replies_idx': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex('tweets_reply_idx')
          .on('tweets')
          .columns(['reply_to', 'id'])
          .where(sql<boolean>`reply_to is not null and deleted_at is null`)
          .execute();
      },
    },
    // Who liked a tweet, newest first (the Mastodon API's favourited_by): the primary key leads with the user.
    'feed/0004_likes_tweet_idx': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('likes_tweet_idx').on('likes').columns(['tweet_id', 'created_at']).execute();
      },
    },
  };
}
