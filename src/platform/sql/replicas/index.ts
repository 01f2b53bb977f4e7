export { ReplicatedDatabase, type NamedReplica, type ReplicatedDatabaseOptions } from './replicated-database.js';
export type { ReplicaState, ReplicaStatus, ReplicationStatus } from './replication-status.js';
export { postgresReplicaProbe, type ReplicaPosition, type ReplicaProbe } from './replica-probe.js';
export { RecentWrites, type RecentWritesOptions } from './recent-writes.js';
export { WalTimeline, formatLsn, parseLsn } from './wal-timeline.js';
export { classifyReplicaError } from './replica-errors.js';
