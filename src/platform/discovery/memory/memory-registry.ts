import { systemClock, type Clock } from '../../clock/index.js';
import type { Registration, ServiceRegistry } from '../discovery.port.js';

/** What the registries of one deployment share: addresses and when each announcement expires, per service. */
export class MemoryRegistryStore {
  readonly services = new Map<string, Map<string, number>>();
}

/**
 * The registry inside one process (the embedded topology, and tests): the same expiry rules as the
 * Redis one, on an injectable clock. Registries given the same store see each other, as processes
 * sharing a Redis do; closing one stops its renewals (as a crash would) without withdrawing.
 */
export class MemoryServiceRegistry implements ServiceRegistry {
  readonly #store: MemoryRegistryStore;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #clock: Clock;

  constructor(options: { clock?: Clock; store?: MemoryRegistryStore } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store ?? new MemoryRegistryStore();
  }

  async register(service: string, address: string, options: { ttlMs: number }): Promise<Registration> {
    const { services } = this.#store;
    const entries = services.get(service) ?? new Map<string, number>();
    services.set(service, entries);
    const renew = () => entries.set(address, this.#clock.now() + options.ttlMs);
    renew();
    const timer = setInterval(renew, Math.max(1, Math.floor(options.ttlMs / 3))).unref();
    this.#timers.add(timer);
    let withdrawn = false;
    return {
      withdraw: async () => {
        if (withdrawn) return;
        withdrawn = true;
        clearInterval(timer);
        this.#timers.delete(timer);
        entries.delete(address);
      },
    };
  }

  async instances(service: string): Promise<string[]> {
    const now = this.#clock.now();
    const entries = this.#store.services.get(service);
    if (entries === undefined) return [];
    for (const [address, expiresAt] of entries) if (expiresAt <= now) entries.delete(address);
    return [...entries.keys()].sort();
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
  }
}
