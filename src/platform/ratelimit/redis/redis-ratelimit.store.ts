import type { Redis, RedisOptions } from 'ioredis';
import { connect, type Connection } from '../../redis/index.js';
import type { Clock } from '../../clock/index.js';
import { algorithms, checkCost, checkNow, compileRule } from '../algorithms/index.js';
import type { RateLimitAlgorithm, RateLimitDecision, RateLimitRule, RateLimitStore } from '../ratelimit.port.js';
import { scripts } from './scripts.js';

/** Options of the Redis store. */
export interface RedisRateLimitStoreOptions {
  /** Put before every key (default `rl:`); the algorithm's tag follows, then the caller's key. */
  prefix?: string;
  /**
   * Where `now` comes from. By default each script reads Redis's own clock (TIME), so every
   * process behind the same Redis agrees on time whatever their clocks say. A clock given here
   * is read in this process and passed to the script instead (tests use a ManualClock).
   */
  clock?: Clock;
  /**
   * Added to every key's PEXPIRE (ms). Expiry only reclaims memory: a script never relies on it,
   * since stale state is recognised from its own timestamps. Default 0 with Redis time; 60 s with
   * an injected clock, whose time is not Redis's, so real time passing between two steps of a
   * manual clock never removes state that still matters at the manual time.
   */
  ttlSlackMs?: number;
  /**
   * Options of the connection this store opens from a URL (ignored for a client passed in). The
   * default gives up on a command after one failed reconnection (`maxRetriesPerRequest: 1`), so
   * decisions fail fast while Redis is down and the caller's fail-open/closed policy applies,
   * instead of queueing requests for ioredis's default 20 attempts.
   */
  redisOptions?: RedisOptions;
}

/** Each compiled rule's script parameters, computed once. */
const argsOf = new WeakMap<object, readonly number[]>();

type ScriptCall = (key: string, now: number | '', cost: number, slack: number, ...params: readonly number[]) => Promise<number[]>;

/**
 * The shared rate-limit store: every decision is one atomic Lua script (EVALSHA through
 * ioredis's defineCommand, which resends the source when Redis answers NOSCRIPT), with the
 * semantics of the JavaScript algorithms (the contract suite runs against both). Keys are
 * `prefix + tag + ':' + key` and carry a PEXPIRE refreshed on every write, so idle keys vanish.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #connection: Connection;
  readonly #prefixes: Record<RateLimitAlgorithm, string>;
  readonly #clock: Clock | undefined;
  readonly #slack: number;
  readonly #calls: Record<RateLimitAlgorithm, ScriptCall>;

  /** `connection`: an ioredis client (left open by `close()`), or a URL to open one this store owns. */
  constructor(connection: Redis | string, options: RedisRateLimitStoreOptions = {}) {
    this.#connection = connect(connection, options.redisOptions);
    this.#redis = this.#connection.redis;
    const prefix = options.prefix ?? 'rl:';
    this.#clock = options.clock;
    this.#slack = options.ttlSlackMs ?? (options.clock === undefined ? 0 : 60_000);
    if (!Number.isInteger(this.#slack) || this.#slack < 0) throw new RangeError('ttlSlackMs must be a non-negative integer');
    const prefixes = {} as Record<RateLimitAlgorithm, string>;
    const calls = {} as Record<RateLimitAlgorithm, ScriptCall>;
    const client = this.#redis as unknown as Record<string, ScriptCall | undefined>;
    for (const name of Object.keys(scripts) as RateLimitAlgorithm[]) {
      const script = scripts[name];
      // Defining twice on a shared client is harmless: same name, same source.
      if (typeof client[script.command] !== 'function') this.#redis.defineCommand(script.command, { numberOfKeys: 1, lua: script.lua });
      const call = client[script.command]!;
      calls[name] = call.bind(this.#redis);
      prefixes[name] = `${prefix}${algorithms[name].tag}:`;
    }
    this.#prefixes = prefixes;
    this.#calls = calls;
  }

  async decide(rule: RateLimitRule, key: string, cost = 1): Promise<RateLimitDecision> {
    const compiled = compileRule(rule);
    cost = checkCost(cost);
    const now = this.#clock === undefined ? '' : checkNow(this.#clock.now());
    const name = compiled.name;
    let args = argsOf.get(compiled);
    if (args === undefined) argsOf.set(compiled, (args = scripts[name].args(compiled.params)));
    const r = await this.#calls[name](this.#prefixes[name] + key, now, cost, this.#slack, ...args);
    return { allowed: r[0] === 1, limit: r[1]!, remaining: r[2]!, resetMs: r[3]!, retryAfterMs: r[4]!, delayMs: r[5]! };
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  /** Quits the connection if this store opened it from a URL; a client passed in is left open. */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}
