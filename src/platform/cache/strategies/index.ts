/*
 * Cache policies over the cache port. The links module uses cache-aside, single flight and event
 * invalidation; read-through, write-through, write-behind, write-around and versioned keys are
 * demonstrated building blocks: each has its test here and its row in the README's table ("Cache
 * strategies"), and no product path uses them yet (docs/architecture.md, "Catalogue").
 */
export { CacheAside, type CacheAsideOptions, type CacheLookup, type SourceLoader } from './cache-aside.js';
export { ReadThrough, type ReadThroughOptions } from './read-through.js';
export { WriteThrough, type WriteThroughOptions } from './write-through.js';
export {
  WriteBehind,
  WriteBehindBacklogError,
  WriteBehindFlushError,
  intervalTimer,
  type FlushTimer,
  type WriteBehindOptions,
} from './write-behind.js';
export { WriteAround, type WriteAroundOptions } from './write-around.js';
export { InvalidationBus } from './invalidation-bus.js';
export { VersionedKeys, type VersionedKeysOptions } from './versioned-keys.js';
export { SingleFlight } from './single-flight.js';
export { KeyedSerial } from './keyed-serial.js';
