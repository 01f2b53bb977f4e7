/**
 * Tables and SQL of the embedded queue. The queue lives in its own SQLite file, so this schema is
 * created on open (idempotently) rather than through the application's migrations.
 *
 * A message row is in one of three states, told apart by `available_at` and `leased`:
 * - ready:     available_at <= now (includes deliveries whose lease expired: they are redelivered);
 * - in flight: leased = 1 and available_at > now (available_at is then the lease expiry);
 * - delayed:   leased = 0 and available_at > now (waiting for a retry backoff).
 * Folding the lease expiry into `available_at` keeps claiming a single range scan on one index.
 * `attempts` counts claims and doubles as the lease token: an ack or failure report only applies
 * while the row still has the attempt number it was delivered with.
 *
 * `is_head` is 1 for unkeyed messages and for the oldest remaining message of each key. Only
 * heads are claim candidates, and the claim index holds only heads, so a long backlog queued
 * behind one key costs a claim nothing (without it every claim would walk the whole backlog).
 * It is set on insert and handed to the next message of the key whenever a head is deleted
 * (ack, dead letter), each time inside the same write transaction.
 */
export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS queue_messages (
  -- AUTOINCREMENT: ids are never reused, so consumers can use them to deduplicate redeliveries.
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  topic        TEXT    NOT NULL,
  key          TEXT,
  payload      TEXT    NOT NULL,
  published_at INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  is_head      INTEGER NOT NULL,
  leased       INTEGER NOT NULL DEFAULT 0,
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  traceparent  TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS queue_messages_claim ON queue_messages (topic, available_at) WHERE is_head = 1;
CREATE INDEX IF NOT EXISTS queue_messages_key_order ON queue_messages (topic, key, id);

CREATE TABLE IF NOT EXISTS queue_dead_letters (
  -- The dead message's own id, so it can be matched with what handlers logged.
  id           INTEGER PRIMARY KEY,
  topic        TEXT    NOT NULL,
  key          TEXT,
  payload      TEXT    NOT NULL,
  attempts     INTEGER NOT NULL,
  last_error   TEXT    NOT NULL,
  published_at INTEGER NOT NULL,
  failed_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS queue_dead_letters_topic ON queue_dead_letters (topic, id);
`;

// is_head narrows the scan; the NOT EXISTS (a covering seek on queue_messages_key_order) is what
// guarantees per-key order, so a head flag gone wrong could stall a key but never reorder it.
const CLAIMABLE_WHERE = `
 WHERE m.topic = :topic
   AND m.is_head = 1
   AND m.available_at <= :now
   AND (m.key IS NULL OR NOT EXISTS (
         SELECT 1 FROM queue_messages AS p
          WHERE p.topic = m.topic AND p.key = m.key AND p.id < m.id))`;

/**
 * Rows a consumer may take now, earliest available first: unkeyed messages and the oldest
 * remaining message of each key (pending, delayed or in flight), which serialises each key in
 * publish order across retries. Exported so a test can assert the plan uses the indexes.
 */
export const CLAIMABLE_SQL = `
SELECT m.id, m.topic, m.key, m.payload, m.attempts, m.published_at AS publishedAt, m.traceparent
  FROM queue_messages AS m ${CLAIMABLE_WHERE}
 ORDER BY m.available_at, m.id
 LIMIT :limit`;

/** Whether anything is claimable, without reading payloads: what an idle poll runs. */
export const PEEK_SQL = `SELECT 1 FROM queue_messages AS m ${CLAIMABLE_WHERE} LIMIT 1`;

/** Appends a message; it heads its key when no message of that key remains. */
export const INSERT_SQL = `
INSERT INTO queue_messages (topic, key, payload, published_at, available_at, is_head, traceparent)
VALUES (:topic, :key, :payload, :now, :now,
        :key IS NULL OR NOT EXISTS (SELECT 1 FROM queue_messages WHERE topic = :topic AND key = :key),
        :traceparent)`;

/** After a head of `key` is deleted, the oldest message left for the key becomes its head. */
export const PROMOTE_SQL = `
UPDATE queue_messages SET is_head = 1
 WHERE id = (SELECT id FROM queue_messages WHERE topic = :topic AND key = :key ORDER BY id LIMIT 1)`;

export const LEASE_SQL = `
UPDATE queue_messages SET attempts = attempts + 1, leased = 1, available_at = :until WHERE id = :id`;

export const ACK_SQL = `DELETE FROM queue_messages WHERE id = :id AND attempts = :attempt`;

export const RELEASE_SQL = `
UPDATE queue_messages SET leased = 0, available_at = :availableAt, last_error = :error
 WHERE id = :id AND attempts = :attempt`;

export const DEAD_LETTER_SQL = `
INSERT INTO queue_dead_letters (id, topic, key, payload, attempts, last_error, published_at, failed_at)
SELECT id, topic, key, payload, attempts, :error, published_at, :now
  FROM queue_messages WHERE id = :id AND attempts = :attempt`;

export const STATS_SQL = `
SELECT coalesce(sum(available_at <= :now), 0)                AS ready,
       coalesce(sum(available_at > :now AND leased = 1), 0)  AS inFlight,
       coalesce(sum(available_at > :now AND leased = 0), 0)  AS delayed,
       min(published_at)                                     AS oldestPublishedAt
  FROM queue_messages WHERE topic = :topic`;

export const COUNT_DEAD_SQL = `SELECT count(*) AS n FROM queue_dead_letters WHERE topic = :topic`;

export const LIST_DEAD_SQL = `
SELECT id, topic, key, payload, attempts, last_error AS lastError,
       published_at AS publishedAt, failed_at AS failedAt
  FROM queue_dead_letters WHERE topic = :topic AND id > :after ORDER BY id LIMIT :limit`;

/** Dead letters to replay, oldest first (their payload is re-inserted as is). */
export const SELECT_DEAD_SQL = `
SELECT id, key, payload FROM queue_dead_letters WHERE topic = :topic AND id > :after ORDER BY id LIMIT :limit`;

export const SELECT_ONE_DEAD_SQL = `SELECT id, key, payload FROM queue_dead_letters WHERE topic = :topic AND id = :id`;

export const DELETE_DEAD_SQL = `DELETE FROM queue_dead_letters WHERE id = :id`;
