/** Statuses posted with an `Idempotency-Key`: a retry within the hour gets the same status. */
export interface MastodonIdempotencyTable {
  user_id: string;
  /** The client's key (at most 128 characters). */
  idempotency_key: string;
  /** Null while the first request is posting. */
  status_id: string | null;
  created_at: number;
}

export interface MastodonTables {
  mastodon_idempotency: MastodonIdempotencyTable;
}
