import { systemClock, type Clock } from '../../clock/index.js';
import type { PresenceRegistry } from '../presence.port.js';

/** One user's entry: when each node's connection expires, and when the user was last connected. */
interface UserEntry {
  readonly nodes: Map<string, number>;
  seen?: number;
}

/** What the registries of one deployment share (as processes share a Redis): the users' entries. */
export class MemoryPresenceStore {
  static readonly #named = new Map<string, MemoryPresenceStore>();
  readonly users = new Map<string, UserEntry>();

  /**
   * The store of a deployment inside this process, by name (its data directory), as the in-process
   * pub/sub is shared by namespace: two apps on one data directory (tests) route to each other.
   */
  static named(namespace: string): MemoryPresenceStore {
    let store = MemoryPresenceStore.#named.get(namespace);
    if (store === undefined) MemoryPresenceStore.#named.set(namespace, (store = new MemoryPresenceStore()));
    return store;
  }
}

export interface MemoryPresenceOptions {
  clock?: Clock;
  /** Shared with other registries to see each other's connections (default: one of its own). */
  store?: MemoryPresenceStore;
}

/**
 * The registry inside one process (the embedded topology, and tests): the Redis adapter's rules on
 * an injectable clock. Expired connections are swept when a user is read, as in Redis: a node that
 * stopped refreshing costs nothing until someone asks, and then its users read as gone since their
 * expiry time.
 */
export class MemoryPresenceRegistry implements PresenceRegistry {
  readonly #store: MemoryPresenceStore;
  readonly #clock: Clock;

  constructor(options: MemoryPresenceOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store ?? new MemoryPresenceStore();
  }

  async connect(userId: string, node: string, ttlMs: number): Promise<void> {
    this.#entry(userId).nodes.set(node, this.#clock.now() + ttlMs);
  }

  async disconnect(userId: string, node: string): Promise<void> {
    const entry = this.#store.users.get(userId);
    if (entry === undefined) return;
    const now = this.#clock.now();
    this.#sweep(entry, now);
    if (!entry.nodes.delete(node)) return;
    if (entry.nodes.size === 0) entry.seen = now;
  }

  async refresh(node: string, userIds: readonly string[], ttlMs: number): Promise<void> {
    const expiresAt = this.#clock.now() + ttlMs;
    // An upsert: a user whose entry expired while the node was paused comes back with the renewal.
    for (const userId of userIds) this.#entry(userId).nodes.set(node, expiresAt);
  }

  async nodesOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const now = this.#clock.now();
    const found = new Map<string, string[]>();
    for (const userId of userIds) {
      const entry = this.#store.users.get(userId);
      if (entry === undefined) continue;
      this.#sweep(entry, now);
      if (entry.nodes.size > 0) found.set(userId, [...entry.nodes.keys()].sort());
    }
    return found;
  }

  async lastSeen(userIds: readonly string[]): Promise<Map<string, Date>> {
    const now = this.#clock.now();
    const found = new Map<string, Date>();
    for (const userId of userIds) {
      const entry = this.#store.users.get(userId);
      if (entry === undefined) continue;
      this.#sweep(entry, now);
      if (entry.seen !== undefined) found.set(userId, new Date(entry.seen));
    }
    return found;
  }

  async close(): Promise<void> {
    // Nothing held: like a process that stops, its connections expire unless disconnected first.
  }

  #entry(userId: string): UserEntry {
    let entry = this.#store.users.get(userId);
    if (entry === undefined) this.#store.users.set(userId, (entry = { nodes: new Map() }));
    return entry;
  }

  /** Drops expired connections; when that leaves none, the user was last seen when the last one expired. */
  #sweep(entry: UserEntry, now: number): void {
    let latest = -Infinity;
    for (const [node, expiresAt] of entry.nodes) {
      if (expiresAt > now) continue;
      entry.nodes.delete(node);
      latest = Math.max(latest, expiresAt);
    }
    if (entry.nodes.size === 0 && latest !== -Infinity) entry.seen = Math.max(entry.seen ?? -Infinity, latest);
  }
}
