import { murmur3 } from './murmur3.js';

export interface HashRingOptions {
  /** Points on the ring per unit of weight (default 160, as ketama and nginx `hash ... consistent`). */
  vnodes?: number;
}

/** Ranks share a float with the point's hash: 32 bits of hash, 20 bits of rank, inside 2^53. */
const RANK_BITS = 2 ** 20;

/**
 * A consistent-hash ring with virtual nodes: each member owns `weight × vnodes` points, the point
 * `i` of member `id` sitting at murmur3(`${id}#${i}`); a key belongs to the first point clockwise
 * from murmur3(key). Adding a member moves only the keys its points take over, all of them to it.
 *
 * Why murmur3 rather than ketama's md5: a lookup hashes the key once per request, and murmur3 over
 * a string costs tens of nanoseconds with no allocation where node:crypto's md5 allocates a Hash
 * and a Buffer; cryptographic strength buys nothing here, and murmur3's avalanche spreads the
 * points as evenly (160 points per member keeps every share within a few percent).
 *
 * The ring is a pure function of its members and weights, whatever the order they were added in
 * (points that collide are ordered by id), so every process that holds the same membership routes
 * every key the same way; that is what lets it shard a database. The hash and the point naming are
 * therefore part of the contract: changing either moves every key.
 */
export class HashRing {
  readonly #vnodes: number;
  readonly #weights = new Map<string, number>();
  #dirty = false;
  #ids: string[] = [];
  #hashes = new Uint32Array(0);
  #owners = new Uint32Array(0);
  // Which owners the current walk has met, without clearing an array on every walk.
  #seen = new Uint32Array(0);
  #walk = 0;

  constructor(options: HashRingOptions = {}) {
    const vnodes = options.vnodes ?? 160;
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 10_000) throw new RangeError(`vnodes must be an integer in 1..10000, got ${vnodes}`);
    this.#vnodes = vnodes;
  }

  /** Adds a member, or changes its weight (a positive integer; default 1). */
  add(id: string, weight = 1): void {
    if (typeof id !== 'string' || id.length === 0) throw new RangeError('a ring member needs a non-empty id');
    if (!Number.isInteger(weight) || weight < 1) throw new RangeError(`weight of ${id} must be a positive integer, got ${weight}`);
    if (!this.#weights.has(id) && this.#weights.size >= RANK_BITS) throw new RangeError(`a ring holds at most ${RANK_BITS} members`);
    if (this.#weights.get(id) === weight) return;
    this.#weights.set(id, weight);
    this.#dirty = true;
  }

  /** Removes a member; its keys go to the next members clockwise. Returns whether it was there. */
  remove(id: string): boolean {
    const had = this.#weights.delete(id);
    if (had) this.#dirty = true;
    return had;
  }

  has(id: string): boolean {
    return this.#weights.has(id);
  }

  /** Number of members. */
  get size(): number {
    return this.#weights.size;
  }

  /** Number of points on the ring (memory is about 8 bytes a point). */
  get points(): number {
    this.#build();
    return this.#hashes.length;
  }

  /** The member owning `key`; undefined on an empty ring. */
  lookup(key: string): string | undefined {
    this.#build();
    if (this.#hashes.length === 0) return undefined;
    return this.#ids[this.#owners[this.#start(key)]!];
  }

  /**
   * The first `n` distinct members clockwise from `key` (fewer when the ring has fewer): the
   * owner first, then where its keys would go if it left. For replicas of a shard.
   */
  lookupN(key: string, n: number): string[] {
    const out: string[] = [];
    if (n < 1) return out;
    this.find(key, (id) => out.push(id) >= n);
    return out;
  }

  /**
   * The first member clockwise from `key` that `accept` takes, asking about each member once at
   * most; undefined when it takes none. A load balancer skips unavailable hosts this way.
   */
  find(key: string, accept: (id: string) => boolean): string | undefined {
    this.#build();
    const points = this.#hashes.length;
    if (points === 0) return undefined;
    if (++this.#walk === 0xffffffff) {
      this.#seen.fill(0);
      this.#walk = 1;
    }
    const walk = this.#walk;
    const members = this.#ids.length;
    let asked = 0;
    for (let i = this.#start(key), n = 0; n < points; n++, i = i + 1 === points ? 0 : i + 1) {
      const owner = this.#owners[i]!;
      if (this.#seen[owner] === walk) continue;
      this.#seen[owner] = walk;
      const id = this.#ids[owner]!;
      if (accept(id)) return id;
      if (++asked === members) break;
    }
    return undefined;
  }

  /** Index of the first point at or after the key's hash, wrapping past the top. */
  #start(key: string): number {
    const h = murmur3(key);
    const hashes = this.#hashes;
    let lo = 0;
    let hi = hashes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hashes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === hashes.length ? 0 : lo;
  }

  // Rebuilt lazily so that a batch of add/remove (a membership update) costs one sort.
  #build(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const ids = [...this.#weights.keys()].sort();
    let total = 0;
    for (const id of ids) total += this.#weights.get(id)! * this.#vnodes;
    const packed = new Float64Array(total);
    let p = 0;
    for (let rank = 0; rank < ids.length; rank++) {
      const id = ids[rank]!;
      const count = this.#weights.get(id)! * this.#vnodes;
      for (let i = 0; i < count; i++) packed[p++] = murmur3(`${id}#${i}`) * RANK_BITS + rank;
    }
    packed.sort();
    this.#ids = ids;
    this.#hashes = new Uint32Array(total);
    this.#owners = new Uint32Array(total);
    for (let i = 0; i < total; i++) {
      const rank = packed[i]! % RANK_BITS;
      this.#owners[i] = rank;
      this.#hashes[i] = (packed[i]! - rank) / RANK_BITS;
    }
    this.#seen = new Uint32Array(ids.length);
    this.#walk = 0;
  }
}
