/**
 * `unknown`: not measured yet; `up`: serves reads; `lagging`: further behind than `maxLagMs`;
 * `down`: did not answer its last probe or a read; `not-a-standby`: answers but is not in recovery.
 */
export type ReplicaState = 'unknown' | 'up' | 'lagging' | 'down' | 'not-a-standby';

export interface ReplicaStatus {
  readonly name: string;
  readonly state: ReplicaState;
  /** Upper bound of its staleness now, in ms (see `WalTimeline`); undefined until measured. */
  readonly lagMs: number | undefined;
  /** WAL bytes the primary had at its last reading that the replica had not replayed at its own. */
  readonly lagBytes: number | undefined;
  readonly replayPaused: boolean;
  /** Clock time of its last probe. */
  readonly checkedAt: number | undefined;
  readonly error: string | undefined;
}

export interface ReplicationStatus {
  readonly primary: { readonly up: boolean; readonly position: string | undefined; readonly checkedAt: number | undefined; readonly error: string | undefined };
  readonly replicas: readonly ReplicaStatus[];
  /** Reads routed since creation: to a replica, to the primary after the key's write, to the primary for want of a usable replica, and retried on the primary after failing on a replica. */
  readonly reads: { readonly replica: number; readonly primaryAfterWrite: number; readonly primaryFallback: number; readonly retriedOnPrimary: number };
  readonly trackedKeys: number;
  /** Keys forgotten within their window for want of room (their reads then went to the primary). */
  readonly evictedKeys: number;
}
