import type { Kysely, Migration } from 'kysely';
import { currentTraceparent } from '../../observability/trace-context.js';
import type { MessageHandler, QueuePort } from '../queue/queue.port.js';
import { identityColumn } from '../sql/identity-column.js';
import { BulkInsert } from '../sql/bulk-insert.js';
import { deferredWrites, type DeferredKind } from '../sql/deferred-writes.js';
import type { SqlDatabase, SqlDialectName } from '../sql/sql.port.js';

/** The outbox table: events written in the same transaction as the data they describe. */
export interface OutboxTable {
  id: number | undefined;
  topic: string;
  key: string | null;
  payload: string;
  created_at: number;
  traceparent: string | null;
}
export interface OutboxTables {
  outbox: OutboxTable;
}

/** Schema of the outbox for a dialect. */
export function outboxMigrationsFor(dialect: SqlDialectName): Record<string, Migration> {
  return {
    'outbox/0001_outbox': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('outbox')
          .addColumn('id', ...identityColumn(dialect))
          .addColumn('topic', 'varchar(64)', (c) => c.notNull())
          .addColumn('key', 'varchar(64)')
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    // The trace of the request that wrote the event, handed on to its consumers.
    'outbox/0002_traceparent': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('outbox').addColumn('traceparent', 'varchar(64)').execute();
      },
    },
  };
}


/** One event for the outbox. */
export interface OutboxEvent {
  topic: string;
  key?: string | null;
  payload: unknown;
}

// Rows in column order; a group commit's events go in one multi-row insert at the end of its
// transaction, in the order they were added (which the relay keeps: ids follow VALUES order).
const insertRows = new BulkInsert<Omit<OutboxTable, 'id'>>('outbox', ['topic', 'key', 'payload', 'created_at', 'traceparent'], { chunk: 200 });
const outboxKind: DeferredKind<readonly unknown[]> = { name: 'outbox', order: 20, flush: (db, rows) => insertRows.insert(db, rows) };

/**
 * Adds events to the outbox inside the caller's transaction (`trx`): they exist if and only if the
 * data they describe was committed — the transactional outbox pattern.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any module's transaction
export async function addToOutbox(trx: Kysely<any>, events: readonly OutboxEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  const traceparent = currentTraceparent() ?? null;
  const rows = events.map((e) => [e.topic, e.key ?? null, JSON.stringify(e.payload), now, traceparent]);
  let deferred = true;
  for (const row of rows) deferred &&= deferredWrites.defer(trx, outboxKind, row);
  if (!deferred) await insertRows.insert(trx, rows);
}

export interface OutboxRelayOptions {
  /** Where each outbox topic goes: one queue topic per consumer group (pub/sub over the queue). */
  routes: Readonly<Record<string, readonly string[]>>;
  /** Idle polling interval (a write in this process wakes the relay at once through `notify`). */
  pollMs?: number;
  /** Outbox rows per pass, and so events per message at most (default 500). */
  batch?: number;
  /**
   * After a write's `notify`, the pass waits this long (default 20 ms) for the writes that follow
   * to join it: under load a message then carries hundreds of events instead of a few.
   */
  gatherMs?: number;
  /**
   * The ordering key of every message this relay publishes (default `outbox`): the queue hands a
   * key's messages out one at a time, in order, so consumers see this outbox's events in order.
   */
  key?: string;
  onError?: (error: unknown) => void;
}

/**
 * Moves committed outbox rows to the queue, oldest first, then deletes them: each pass takes up to
 * `batch` rows and publishes ONE message per destination topic whose payload is the array of their
 * events (in outbox order), so that a queue's claims, acknowledgements and fsyncs, and a
 * consumer's transactions, are per batch of events rather than per event. A crash between the
 * publish and the delete republishes them (at least once; consumers are idempotent); nothing
 * committed is ever lost, and nothing is published that was not committed.
 */
export class OutboxRelay {
  readonly #sql: SqlDatabase<OutboxTables>;
  readonly #queue: QueuePort;
  readonly #options: Required<Omit<OutboxRelayOptions, 'onError'>> & Pick<OutboxRelayOptions, 'onError'>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #dueAt = Number.POSITIVE_INFINITY;
  #again = false;
  #stopped = false;

  constructor(sql: SqlDatabase<unknown>, queue: QueuePort, options: OutboxRelayOptions) {
    this.#sql = sql as SqlDatabase<OutboxTables>;
    this.#queue = queue;
    this.#options = { pollMs: 200, batch: 500, gatherMs: 20, key: 'outbox', ...options };
  }

  /** Starts polling. */
  start(): void {
    this.#schedule(0);
  }

  /** Asks for a pass soon (after a write in this process): within `gatherMs`. */
  notify(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) this.#again = true;
    else if (this.#dueAt > Date.now() + this.#options.gatherMs) this.#schedule(this.#options.gatherMs);
  }

  /** Relays everything committed so far; resolves when the outbox is empty. */
  async drain(): Promise<void> {
    while (await this.#pass());
  }

  /** Stops polling after the pass in progress, then relays what is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.drain().catch((error: unknown) => this.#options.onError?.(error));
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#dueAt = Date.now() + ms;
    this.#timer = setTimeout(() => {
      this.#dueAt = Number.POSITIVE_INFINITY;
      this.#running = this.drain()
        .catch((error: unknown) => this.#options.onError?.(error))
        .finally(() => {
          this.#running = undefined;
          if (this.#stopped) return;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? this.#options.gatherMs : this.#options.pollMs);
        });
    }, ms);
    this.#timer.unref();
  }

  /** One batch; true when it moved a full one (more may be waiting). */
  async #pass(): Promise<boolean> {
    const rows = await this.#sql.db.selectFrom('outbox').selectAll().orderBy('id').limit(this.#options.batch).execute();
    if (rows.length === 0) return false;
    const byTopic = new Map<string, unknown[]>();
    let traceparent: string | null = null;
    for (const row of rows) {
      const payload = JSON.parse(row.payload) as unknown;
      traceparent ??= row.traceparent;
      for (const topic of this.#options.routes[row.topic] ?? [row.topic]) {
        let list = byTopic.get(topic);
        if (list === undefined) byTopic.set(topic, (list = []));
        list.push(payload);
      }
    }
    // One trace per batch: the first traced write's (a batch serves many requests).
    for (const [topic, events] of byTopic) await this.#queue.publish(topic, [{ key: this.#options.key, payload: events, traceparent }]);
    // By id, not "up to the last id": with concurrent writers a lower id can commit later.
    await this.#sql.db.deleteFrom('outbox').where('id', 'in', rows.map((r) => r.id!)).execute();
    return rows.length === this.#options.batch;
  }
}

/** The events of a message the relay published (an array), or of an older single-event message. */
export function eventsOf<T>(payload: T | readonly T[]): readonly T[] {
  return Array.isArray(payload) ? (payload as readonly T[]) : [payload as T];
}

/**
 * The handler of relayed messages for a consumer that handles a batch of events at once (one
 * transaction for them all). A batch that failed is retried one event at a time, so that one bad
 * event neither blocks the others nor takes them to the dead letters unapplied: they are applied,
 * and the message fails (then dead-letters) with the first error (consumers are idempotent, so
 * the events applied twice by a retry or a replay change nothing).
 */
export function batchHandler<T>(handle: (events: readonly T[]) => Promise<void>): MessageHandler<T | T[]> {
  return async (message) => {
    const events = eventsOf(message.payload);
    if (message.attempt === 1 || events.length <= 1) {
      await handle(events);
      return;
    }
    let failure: { error: unknown } | undefined;
    for (const event of events) {
      try {
        await handle([event]);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  };
}
