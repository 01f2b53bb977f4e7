import type { FixedWindowParams } from '../algorithms/fixed-window.js';
import type { GcraParams } from '../algorithms/gcra.js';
import type { LeakyBucketParams } from '../algorithms/leaky-bucket.js';
import type { SlidingCounterParams } from '../algorithms/sliding-counter.js';
import type { SlidingLogParams } from '../algorithms/sliding-log.js';
import type { TokenBucketParams } from '../algorithms/token-bucket.js';
import type { RateLimitAlgorithm } from '../ratelimit.port.js';
import { FIXED_WINDOW_LUA } from './fixed-window.lua.js';
import { GCRA_LUA } from './gcra.lua.js';
import { LEAKY_BUCKET_LUA } from './leaky-bucket.lua.js';
import { SLIDING_COUNTER_LUA } from './sliding-counter.lua.js';
import { SLIDING_LOG_LUA } from './sliding-log.lua.js';
import { TOKEN_BUCKET_LUA } from './token-bucket.lua.js';

/** One algorithm's script: the ioredis command it is defined as, its source, and its ARGV from 4 on. */
export interface RateLimitScript {
  readonly command: string;
  readonly lua: string;
  args(params: unknown): readonly number[];
}

/** The script of every algorithm; the parameters are those its `params()` computed. */
export const scripts: { readonly [A in RateLimitAlgorithm]: RateLimitScript } = {
  'token-bucket': {
    command: 'blueprintRlTokenBucket',
    lua: TOKEN_BUCKET_LUA,
    args: (p) => [(p as TokenBucketParams).capacity, (p as TokenBucketParams).limit, (p as TokenBucketParams).windowMs],
  },
  'leaky-bucket': {
    command: 'blueprintRlLeakyBucket',
    lua: LEAKY_BUCKET_LUA,
    args: (p) => {
      const q = p as LeakyBucketParams;
      return [q.rate, q.burst, q.delay, q.limit];
    },
  },
  'fixed-window': {
    command: 'blueprintRlFixedWindow',
    lua: FIXED_WINDOW_LUA,
    args: (p) => [(p as FixedWindowParams).limit, (p as FixedWindowParams).windowMs],
  },
  'sliding-log': {
    command: 'blueprintRlSlidingLog',
    lua: SLIDING_LOG_LUA,
    args: (p) => [(p as SlidingLogParams).limit, (p as SlidingLogParams).windowMs],
  },
  'sliding-counter': {
    command: 'blueprintRlSlidingCounter',
    lua: SLIDING_COUNTER_LUA,
    args: (p) => [(p as SlidingCounterParams).limit, (p as SlidingCounterParams).windowMs],
  },
  gcra: {
    command: 'blueprintRlGcra',
    lua: GCRA_LUA,
    args: (p) => [(p as GcraParams).interval, (p as GcraParams).tolerance, (p as GcraParams).limit],
  },
};
