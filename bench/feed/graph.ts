/**
 * The synthetic social graph of `bench:feed`, deterministic from a seed: USERS users, each
 * following on average MEAN others, the followee chosen with a power-law weight so that follower
 * counts have a heavy tail (a few celebrities with tens of thousands, most users near the mean).
 *
 * Follower counts: a Pareto(alpha) target per user at evenly spaced quantiles (no sampling noise
 * in the tail), capped at `maxFollowers`, scaled so that the targets sum to USERS × MEAN, given to
 * users in a seeded random order. Each user then picks its followees (uniformly 50%..150% of MEAN
 * of them, distinct, never itself) from those weights with Walker's alias method, so the rows come
 * out grouped by follower and sorted by followee: the order of the follows primary key, which
 * makes the bulk insert an append.
 */

import { seededRandom as prng } from '../../src/lib/seeded-random.js';

export interface GraphOptions {
  users: number;
  /** Average followers (and followees) per user. */
  mean: number;
  /** Pareto shape of the follower counts: smaller is a heavier tail. */
  alpha: number;
  /** No user is followed by more than this. */
  maxFollowers: number;
  seed: number;
}

/** Target follower counts per user index (weights of the followee draw). */
export function followerTargets(o: GraphOptions): Float64Array {
  const n = o.users;
  const raw = new Float64Array(n);
  // Pareto quantiles: x = (1 - q)^(-1/alpha), q evenly spaced in (0, 1).
  for (let i = 0; i < n; i++) raw[i] = Math.min((1 - (i + 0.5) / n) ** (-1 / o.alpha), Number.MAX_VALUE);
  // Scale so the capped targets sum to n × mean (a few rounds: capping removes mass).
  let scale = o.mean / (raw.reduce((a, b) => a + b, 0) / n);
  for (let round = 0; round < 20; round++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.min(o.maxFollowers, raw[i]! * scale);
    scale *= (n * o.mean) / sum;
  }
  const out = new Float64Array(n);
  const random = prng(o.seed ^ 0x5eed);
  // A seeded permutation: celebrities are scattered over the id space.
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (let i = 0; i < n; i++) out[order[i]!] = Math.min(o.maxFollowers, raw[i]! * scale);
  return out;
}

/** Walker's alias table over weights: draws an index in O(1). */
export function aliasSampler(weights: Float64Array, random: () => number): () => number {
  const n = weights.length;
  const total = weights.reduce((a, b) => a + b, 0);
  const prob = new Float64Array(n);
  const alias = new Int32Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    prob[i] = (weights[i]! * n) / total;
    (prob[i]! < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!;
    const l = large.pop()!;
    alias[s] = l;
    prob[l] = prob[l]! + prob[s]! - 1;
    (prob[l]! < 1 ? small : large).push(l);
  }
  for (const i of [...small, ...large]) prob[i] = 1;
  return () => {
    const i = Math.floor(random() * n);
    return random() < prob[i]! ? i : alias[i]!;
  };
}

/**
 * Calls `emit(follower, followees)` for every user index in order, with its followees' indexes
 * sorted ascending (the array is reused between calls).
 */
export function forEachFollower(o: GraphOptions, emit: (follower: number, followees: Int32Array) => void): void {
  const random = prng(o.seed);
  const draw = aliasSampler(followerTargets(o), random);
  const n = o.users;
  const maxOut = Math.min(n - 1, Math.ceil(o.mean * 1.5));
  const picked = new Int32Array(maxOut);
  // Stamp per followee: drawn for the current follower when equal to its index + 1.
  const seen = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const want = Math.min(maxOut, Math.round(o.mean * (0.5 + random())));
    seen[v] = v + 1;
    let k = 0;
    // Bounded: a pathological weight set cannot spin forever.
    for (let tries = 0; k < want && tries < want * 50; tries++) {
      const u = draw();
      if (seen[u] === v + 1) continue;
      seen[u] = v + 1;
      picked[k++] = u;
    }
    const followees = picked.subarray(0, k).sort();
    emit(v, followees);
  }
}
