import type { Kysely } from 'kysely';

/**
 * A kind of write that units of a group commit defer to the end of their transaction, where all
 * of them run at once: a multi-row insert, a merged update. `order` sorts the kinds at the end
 * (lower first): put writes that take locks on shared rows (counters) last, in a fixed order.
 */
export interface DeferredKind<T> {
  readonly name: string;
  readonly order: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any database or transaction holding the kind's tables
  flush(db: Kysely<any>, items: readonly T[]): Promise<void>;
}

const buffers = new WeakMap<object, Map<DeferredKind<unknown>, unknown[]>>();

/**
 * Writes deferred to the end of a transaction (GroupCommit opens and flushes the buffer of each
 * of its transactions). A group of fifty posts then writes its tweets in one INSERT and its
 * events in another, instead of a hundred statements, which matters most where each statement
 * is a round trip (PostgreSQL). A unit must not read back what it deferred.
 */
export const deferredWrites = {
  /** Opens the buffer of a transaction. */
  begin(trx: object): void {
    buffers.set(trx, new Map());
  },

  /**
   * Adds `item` to the transaction's buffer for `kind`; false when `db` is not a transaction with
   * a buffer (then the caller writes at once).
   */
  defer<T>(db: object, kind: DeferredKind<T>, item: T): boolean {
    const buffer = buffers.get(db);
    if (buffer === undefined) return false;
    let items = buffer.get(kind as DeferredKind<unknown>);
    if (items === undefined) buffer.set(kind as DeferredKind<unknown>, (items = []));
    items.push(item);
    return true;
  },

  /** Runs every deferred write of the transaction, kind by kind in `order`, and closes its buffer. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any transaction
  async flush(trx: Kysely<any>): Promise<void> {
    const buffer = buffers.get(trx);
    if (buffer === undefined) return;
    buffers.delete(trx);
    const kinds = [...buffer.keys()].sort((a, b) => a.order - b.order);
    for (const kind of kinds) await kind.flush(trx, buffer.get(kind)!);
  },
};
