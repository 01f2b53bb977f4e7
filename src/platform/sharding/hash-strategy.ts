import { HashRing } from '../balancer/index.js';
import { checkShardName, keyText, ShardingError, type ShardKey, type ShardStrategy } from './shard-strategy.js';

/**
 * The membership of a hash ring, versioned: every change of membership is a new version, so that
 * processes and logs can tell which ring routed a write. Plain data (JSON-safe), to be stored.
 */
export interface RingConfig {
  /** Grows by one on every change of membership. */
  readonly version: number;
  /** The shard names; their order does not matter (the ring depends on the set only). */
  readonly shards: readonly string[];
  /** Points on the ring per shard (default 160). Changing it moves keys as a membership change does. */
  readonly vnodes?: number;
}

/**
 * Hash sharding with consistent hashing: the shards are members of our {@link HashRing} (murmur3,
 * virtual nodes), a key goes to the first point clockwise from murmur3 of its text. Adding a
 * shard moves only the keys its new points take over, about 1/(N+1) of them, all to it.
 */
export class HashStrategy implements ShardStrategy {
  readonly config: RingConfig;
  readonly #ring: HashRing;
  readonly #shards: string[];

  constructor(config: RingConfig) {
    if (!Number.isInteger(config.version) || config.version < 0) throw new ShardingError('bad_ring', `ring version must be a non-negative integer, got ${config.version}`);
    const shards = [...new Set(config.shards.map(checkShardName))].sort();
    if (shards.length === 0) throw new ShardingError('bad_ring', 'a hash ring needs at least one shard');
    if (shards.length !== config.shards.length) throw new ShardingError('bad_ring', 'a shard is named twice in the ring');
    this.#ring = new HashRing(config.vnodes === undefined ? {} : { vnodes: config.vnodes });
    for (const shard of shards) this.#ring.add(shard);
    this.#shards = shards;
    this.config = Object.freeze({ version: config.version, shards: Object.freeze([...shards]), ...(config.vnodes === undefined ? {} : { vnodes: config.vnodes }) });
  }

  /** A ring of `shards` at version 1. */
  static of(shards: readonly string[], options: { vnodes?: number } = {}): HashStrategy {
    return new HashStrategy({ version: 1, shards, ...options });
  }

  shardOf(key: ShardKey): string {
    return this.#ring.lookup(keyText(key))!;
  }

  shards(): string[] {
    return [...this.#shards];
  }

  /** The next version of this ring with `shard` added (the ring of a resharding). */
  withShard(shard: string): HashStrategy {
    if (this.#shards.includes(shard)) throw new ShardingError('shard_exists', `shard ${shard} is already on the ring`);
    return new HashStrategy({ ...this.config, version: this.config.version + 1, shards: [...this.#shards, shard] });
  }
}
