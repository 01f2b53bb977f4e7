import type { Redis } from 'ioredis';
import { connect, type Connection } from '../../redis/index.js';
import type { PresenceRegistry } from '../presence.port.js';
import { DISCONNECT_LUA, NODES_LUA, SEEN_LUA, UPSERT_LUA } from './presence.lua.js';

export interface RedisPresenceOptions {
  /** Put before every key: a user is `prefix + userId` (default `presence:`). */
  prefix?: string;
  /** How long a user's hash (and so their last seen) outlives their last write (default 30 days). */
  retainMs?: number;
}

/** Users per refresh script: each runs in ~1 ms, so that other clients wait no longer than that. */
const REFRESH_BATCH = 200;

type ScriptCall = (...args: unknown[]) => Promise<unknown>;

const SCRIPTS = {
  upsert: ['blueprintPresenceUpsert', UPSERT_LUA],
  disconnect: ['blueprintPresenceDisconnect', DISCONNECT_LUA],
  nodes: ['blueprintPresenceNodes', NODES_LUA],
  seen: ['blueprintPresenceSeen', SEEN_LUA],
} as const;

/**
 * The registry in Redis, for API processes that share one (scaled). One small hash per user (node
 * → expiry, plus last seen): a user is on one or two nodes, so the hash stays a listpack of a few
 * dozen bytes, and a node that dies leaves entries that expire by their scores rather than by a
 * key per connection to scan for. Each operation is one Lua script call, `nodesOf` and `refresh`
 * for a whole batch of users (one round trip for a 500-member group). The hashes of one batch
 * must live on one Redis (no cluster slots across users), as the timelines' batches do.
 */
export class RedisPresenceRegistry implements PresenceRegistry {
  readonly #connection: Connection;
  readonly #prefix: string;
  readonly #retainMs: number;
  readonly #call: { readonly [K in keyof typeof SCRIPTS]: ScriptCall };

  /** `connection`: an ioredis client (left open by `close()`), or a URL to open one this registry owns. */
  constructor(connection: Redis | string, options: RedisPresenceOptions = {}) {
    this.#connection = connect(connection);
    this.#prefix = options.prefix ?? 'presence:';
    this.#retainMs = options.retainMs ?? 30 * 24 * 3600_000;
    const redis = this.#connection.redis;
    const client = redis as unknown as Record<string, ScriptCall | undefined>;
    const call = {} as Record<keyof typeof SCRIPTS, ScriptCall>;
    for (const name of Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]) {
      const [command, lua] = SCRIPTS[name];
      // Variadic keys: each call passes its key count first. Defining twice on a shared client is harmless.
      if (typeof client[command] !== 'function') redis.defineCommand(command, { lua });
      call[name] = client[command]!.bind(redis);
    }
    this.#call = call;
  }

  #key(userId: string): string {
    return `${this.#prefix}${userId}`;
  }

  async connect(userId: string, node: string, ttlMs: number): Promise<void> {
    checkNode(node);
    await this.#call.upsert(1, this.#key(userId), node, ttlMs, Math.max(this.#retainMs, ttlMs));
  }

  async disconnect(userId: string, node: string): Promise<void> {
    await this.#call.disconnect(1, this.#key(userId), node, this.#retainMs);
  }

  async refresh(node: string, userIds: readonly string[], ttlMs: number): Promise<void> {
    checkNode(node);
    const retain = Math.max(this.#retainMs, ttlMs);
    // In scripts of REFRESH_BATCH users, one after the other: a script (or a pipeline) over a node's
    // 10,000 users held Redis for 100-170 ms, stalling every other client (measured: docs/chat.md).
    // A renewal is background work, every ttl/3; it may take a few more round trips.
    for (let at = 0; at < userIds.length; at += REFRESH_BATCH) {
      const batch = userIds.slice(at, at + REFRESH_BATCH);
      await this.#call.upsert(batch.length, ...batch.map((u) => this.#key(u)), node, ttlMs, retain);
    }
  }

  async nodesOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    if (userIds.length === 0) return found;
    const answer = (await this.#call.nodes(userIds.length, ...userIds.map((u) => this.#key(u)))) as string[][];
    userIds.forEach((userId, i) => {
      const nodes = answer[i];
      if (nodes !== undefined && nodes.length > 0) found.set(userId, nodes.sort());
    });
    return found;
  }

  async lastSeen(userIds: readonly string[]): Promise<Map<string, Date>> {
    const found = new Map<string, Date>();
    if (userIds.length === 0) return found;
    const answer = (await this.#call.seen(userIds.length, ...userIds.map((u) => this.#key(u)))) as string[];
    userIds.forEach((userId, i) => {
      const seen = answer[i];
      if (seen !== undefined && seen !== '') found.set(userId, new Date(Number(seen)));
    });
    return found;
  }

  /** Quits a connection it opened from a URL; entries stay and expire (call `disconnect` first to leave at once). */
  async close(): Promise<void> {
    await this.#connection.close();
  }
}

/** `@seen` is the hash's last-seen field: no node may be named so. */
function checkNode(node: string): void {
  if (node === '' || node.startsWith('@')) throw new RangeError(`a presence node id must be non-empty and not start with '@': ${node}`);
}
