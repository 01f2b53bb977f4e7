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
