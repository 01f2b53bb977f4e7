import type { Redis } from 'ioredis';
import type { Registration, ServiceRegistry } from '../discovery.port.js';

/**
 * The registry in Redis: one sorted set per service, members the addresses, scores the time each
 * announcement expires (Redis server time, so that the processes' clocks need not agree). Reading
 * drops expired members and returns the rest: one round trip, no key per instance to scan for.
 */
export class RedisServiceRegistry implements ServiceRegistry {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #registrations = new Set<() => Promise<void>>();

  constructor(redis: Redis, options: { prefix: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    redis.defineCommand('bpRegistryAnnounce', {
      numberOfKeys: 1,
      // The score is the server's now + ttl: clocks of the announcing processes do not matter.
      lua: "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000); redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]); redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 10); return now",
    });
    redis.defineCommand('bpRegistryAlive', {
      numberOfKeys: 1,
      lua: "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000); redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now); return redis.call('ZRANGE', KEYS[1], 0, -1)",
    });
  }

  #key(service: string): string {
    return `${this.#prefix}${service}`;
  }

  async register(service: string, address: string, options: { ttlMs: number; onError?: (err: unknown) => void }): Promise<Registration> {
    const key = this.#key(service);
    const announce = () => (this.#redis as unknown as { bpRegistryAnnounce(key: string, address: string, ttl: number): Promise<number> }).bpRegistryAnnounce(key, address, options.ttlMs);
    // Redis away at start must not stop the instance: it is announced at the next tick that reaches it.
    await announce().catch((err: unknown) => options.onError?.(err));
    // A missed renewal is retried at the next tick; the ttl covers two misses.
    const timer = setInterval(() => void announce().catch((err: unknown) => options.onError?.(err)), Math.max(1, Math.floor(options.ttlMs / 3))).unref();
    let withdrawn: Promise<void> | undefined;
    const withdraw = () => {
      withdrawn ??= (async () => {
        clearInterval(timer);
        this.#registrations.delete(withdraw);
        await this.#redis.zrem(key, address);
      })();
      return withdrawn;
    };
    this.#registrations.add(withdraw);
    return { withdraw };
  }

  async instances(service: string): Promise<string[]> {
    const members = await (this.#redis as unknown as { bpRegistryAlive(key: string): Promise<string[]> }).bpRegistryAlive(this.#key(service));
    return members.sort();
  }

  /** Withdraws what this process announced; the connection belongs to the caller. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#registrations].map((withdraw) => withdraw()));
  }
}
