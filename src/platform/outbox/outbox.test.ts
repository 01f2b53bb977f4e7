import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { SqlDatabase } from '../sql/index.js';
import { describeEachDialect } from '../sql/testing/test-databases.js';
import { SqliteQueue } from '../queue/sqlite/sqlite-queue.js';
import { addToOutbox, eventsOf, OutboxRelay, outboxMigrationsFor } from './outbox.js';

// The outbox lives in the module's database, whichever it is; the queue here is the embedded one.
describeEachDialect('transactional outbox', (dialect) => {
  let sql: SqlDatabase;
  let queue: SqliteQueue;
  beforeEach(async () => {
    sql = await dialect.open();
    await sql.migrate(outboxMigrationsFor(sql.dialect));
    await sql.db.schema.createTable('things').addColumn('name', 'text').execute();
    queue = new SqliteQueue({ filename: ':memory:' });
  });
  afterEach(async () => {
    await queue.close();
    await sql.close();
  });

  const write = (name: string, fail: boolean) =>
    sql.db.transaction().execute(async (trx) => {
      await (trx as unknown as Kysely<{ things: { name: string } }>).insertInto('things').values({ name }).execute();
      await addToOutbox(trx, [{ topic: 'things', key: name, payload: { name } }], Date.now());
      if (fail) throw new Error('rolled back');
    });

  it('relays only what committed, to every routed topic, in order, a batch per message, and empties the outbox', async () => {
    await write('a', false);
    await expect(write('ghost', true)).rejects.toThrow('rolled back');
    for (const name of ['b', 'c', 'd', 'e']) await write(name, false);
    const relay = new OutboxRelay(sql, queue, { routes: { things: ['g1', 'g2'] }, batch: 3, key: 'main' });
    await relay.drain();
    for (const topic of ['g1', 'g2']) {
      expect((await queue.stats(topic)).ready).toBe(2);
    }
    const seen: { key: string | null; payload: unknown }[] = [];
    const sub = queue.consume('g1', async (m) => {
      seen.push({ key: m.key, payload: m.payload });
    });
    const deadline = Date.now() + 5_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await sub.stop();
    expect(seen).toEqual([
      { key: 'main', payload: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
      { key: 'main', payload: [{ name: 'd' }, { name: 'e' }] },
    ]);
    expect(seen.flatMap((m) => eventsOf(m.payload))).toHaveLength(5);
    expect(await sql.db.selectFrom('outbox' as never).selectAll().execute()).toEqual([]);
  });

  it('reads the events of a batch message and of an older single-event message alike', () => {
    expect(eventsOf([{ n: 1 }, { n: 2 }])).toEqual([{ n: 1 }, { n: 2 }]);
    expect(eventsOf({ n: 3 })).toEqual([{ n: 3 }]);
  });

  it('relays in the background when notified, and flushes on stop', async () => {
    const relay = new OutboxRelay(sql, queue, { routes: {}, pollMs: 60_000 });
    relay.start();
    await write('x', false);
    relay.notify();
    const deadline = Date.now() + 5_000;
    while ((await queue.stats('things')).ready < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect((await queue.stats('things')).ready).toBe(1);
    await write('y', false);
    await relay.stop();
    expect((await queue.stats('things')).ready).toBe(2);
  });
});
