import type { PubSubPort } from '../../platform/pubsub/index.js';

/** What the live stream carries; `data` is sent to the browser as JSON, as given. */
export type StreamEvent =
  /** A new tweet in the user's home timeline (fan-out on write). */
  | { type: 'tweet'; data: { id: string; authorId: string } }
  /** A tweet retracted from the user's home timeline. */
  | { type: 'delete'; data: { id: string; authorId?: string } }
  /** A new notification, in the shape of `GET /api/v1/notifications` items. */
  | { type: 'notification'; data: Record<string, unknown> };

export type StreamEventType = StreamEvent['type'];

const TYPES: ReadonlySet<string> = new Set<StreamEventType>(['tweet', 'delete', 'notification']);

/** The pub/sub channel of one user's live events. */
export function userChannel(userId: string): string {
  return `user:${userId}`;
}

/**
 * Sends a live event to every open stream of a user (on any API instance of the bus). Best effort:
 * a user with no stream open, or one who reconnects after the replay log moved on, gets it from
 * the timeline or notification list instead. Rejects only when the bus cannot take it.
 */
export function publishToUser(pubsub: Pick<PubSubPort, 'publish'>, userId: string, event: StreamEvent): Promise<void> {
  return pubsub.publish(userChannel(userId), event);
}

/** The event a pub/sub message carries, or null for anything else (ignored, never relayed). */
export function parseStreamEvent(message: unknown): { type: StreamEventType; data: object } | null {
  if (typeof message !== 'object' || message === null) return null;
  const { type, data } = message as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || !TYPES.has(type) || typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  return { type: type as StreamEventType, data };
}
