import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../platform/clock/index.js';
import type { PubSubPort } from '../../platform/pubsub/index.js';
import type { Principal } from '../accounts/index.js';
import { StreamHub, type StreamStats } from './stream.hub.js';
import { streamRoutes } from './stream.routes.js';
import type { SseSink } from './sse-client.js';

export { publishToUser, userChannel, type StreamEvent, type StreamEventType } from './stream.events.js';
export type { StreamStats } from './stream.hub.js';
export type { SseSink } from './sse-client.js';

export interface StreamDeps {
  pubsub: PubSubPort;
  /** Checks an Authorization value (the accounts module's `authenticate`), for `?access_token=`. */
  authenticate: (authorization: string) => Promise<Principal | null>;
  /** The accounts module's `onSessionRevoked`: streams of a revoked session end at once. */
  onSessionRevoked: (listener: (sessionId: string) => void) => () => void;
  /** Events kept per user for Last-Event-ID replay (STREAM_REPLAY_EVENTS). */
  replayEvents: number;
  /** Between heartbeat comments (STREAM_HEARTBEAT_SECONDS). */
  heartbeatSeconds: number;
  /** A user's log outlives their last connection this long (default 120 s). */
  retainSeconds?: number;
  /** Idle users whose log is kept (default 10,000). */
  maxIdleUsers?: number;
  /** Streams one user may hold open at once (default 8). */
  maxConnectionsPerUser?: number;
  /** A client is dropped beyond this many bytes buffered for it (default 1 MiB)... */
  maxPendingBytes?: number;
  /** ...or this many events queued while its socket is full (default 100). */
  maxQueuedEvents?: number;
  /** How long shutdown waits for streams to close before destroying them (default 2 s). */
  closeGraceMs?: number;
  clock?: Clock;
}

export interface Stream {
  /** `GET /api/v1/stream`; ends open streams on the app's close (preClose), so `app.close()` never hangs on them. */
  routes: FastifyPluginAsync;
  stats(): StreamStats;
  /**
   * Relays a user's live events into another transport (the Mastodon WebSocket streaming API),
   * under the same limits, heartbeats and shutdown as the SSE streams: `sink` receives the
   * event-stream text. Null when the client went away meanwhile; call `detach` when it closes.
   */
  attach(userId: string, sink: () => SseSink | null): Promise<{ detach: () => void } | null>;
  /** Whether this instance has a stream or a replay log for the user (publishing for others is waste). */
  wants(userId: string): boolean;
  /** Whether any user's live events would reach anyone now (an open stream, or a replay log kept). */
  watching(): boolean;
  /** Ends every stream and unsubscribes (also done by the routes' close hooks); idempotent. */
  close(): Promise<void>;
}

/** The live stream module (API role): Server-Sent Events fed by the per-user pub/sub channels. */
export function createStream(deps: StreamDeps): Stream {
  const closeGraceMs = deps.closeGraceMs ?? 2_000;
  const hub = new StreamHub({
    pubsub: deps.pubsub,
    replayEvents: deps.replayEvents,
    heartbeatMs: deps.heartbeatSeconds * 1000,
    retainMs: (deps.retainSeconds ?? 120) * 1000,
    maxIdleUsers: deps.maxIdleUsers ?? 10_000,
    maxConnectionsPerUser: deps.maxConnectionsPerUser ?? 8,
    limits: { maxPendingBytes: deps.maxPendingBytes ?? 1024 * 1024, maxQueuedEvents: deps.maxQueuedEvents ?? 100 },
    now: () => (deps.clock ?? { now: () => Date.now() }).now(),
  });
  return {
    routes: streamRoutes({ hub, authenticate: deps.authenticate, onSessionRevoked: deps.onSessionRevoked, now: () => (deps.clock ?? { now: () => Date.now() }).now(), closeGraceMs }),
    stats: () => hub.stats(),
    attach: (userId, sink) => hub.connect(userId, undefined, sink),
    wants: (userId) => hub.wants(userId),
    watching: () => hub.watching(),
    async close() {
      await hub.endAll(closeGraceMs);
      hub.close();
    },
  };
}
