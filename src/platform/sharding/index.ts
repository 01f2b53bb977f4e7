/**
 * Sharding of SQL databases by user id: one {@link ShardStrategy} interface with hash (consistent
 * hashing over our HashRing), range and directory maps; a {@link ShardedDatabase} routing each
 * key to its shard's SqlDatabase; and online resharding that adds a shard to a hash ring and
 * moves only the rows whose owner changes ({@link addShard}).
 */
export { DirectoryStrategy, directoryMigrations, type DirectoryOptions, type ShardDirectoryTables } from './directory-strategy.js';
export { HashStrategy, type RingConfig } from './hash-strategy.js';
export { RangeStrategy, type ShardRange } from './range-strategy.js';
export { addShard, deleteMovedRows, gateFence, type AddShardOptions, type RaisedFence, type ReshardFence, type ReshardPhase, type ReshardProgress, type ReshardReport, type TableReshard } from './reshard.js';
export { loadOrInitRing, lockRing, readRing, ringMigrations, ringRowFence, writeRing, type ShardRingTables } from './ring-table.js';
export { keyText, ShardingError, type ShardKey, type ShardStrategy } from './shard-strategy.js';
export { ShardedDatabase, type ShardedDatabaseOptions, type ShardEntry } from './sharded-database.js';
export type { ShardedTable } from './sharded-table.js';
export { WriteGate, type WriteFence, type WriteTicket } from './write-gate.js';
