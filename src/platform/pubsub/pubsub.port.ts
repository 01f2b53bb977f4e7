/**
 * Publish/subscribe for live, best-effort messages: every subscriber of a channel connected to the
 * same bus when a message is published receives it, at most once. Nothing is stored: a subscriber
 * that is not listening misses the message (durable work goes through the queue port instead).
 * The embedded adapter spans the threads of one process; the Redis adapter spans processes.
 */

/** Receives one message; messages are JSON values, shared between handlers: treat them as immutable. */
export type PubSubHandler = (message: unknown) => void;

export interface PubSubPort {
  /**
   * Sends `message` (JSON-serialisable) to the channel's current subscribers, this instance's
   * included. Messages from one publisher on one channel arrive in publish order. Resolves once
   * the bus has taken the message, not once subscribers have handled it.
   */
  publish(channel: string, message: unknown): Promise<void>;
  /**
   * Calls `handler` with every message published on `channel` from now on (see `ready`).
   * Returns the function that stops it; calling that twice is harmless. A handler that throws
   * does not keep the message from other handlers.
   */
  subscribe(channel: string, handler: PubSubHandler): () => void;
  /** Resolves once every `subscribe` made so far receives messages (a server round trip for Redis). */
  ready(): Promise<void>;
  /** Throws when the bus cannot be reached. */
  ping(): Promise<void>;
  /** Stops every subscription and releases connections; publishing afterwards rejects. */
  close(): Promise<void>;
}
