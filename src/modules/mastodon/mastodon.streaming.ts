import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Principal } from '../accounts/index.js';
import type { Search } from '../search/index.js';
import type { SseSink, Stream } from '../stream/index.js';
import type { Tweet } from '../feed/index.js';
import { UnauthorizedError } from '../../shared/errors/index.js';
import type { MastodonRoutesDeps } from './mastodon.accounts.routes.js';
import { NOTIFICATION_TYPES } from './mastodon.entities.js';
import type { TimelinePollers } from './mastodon.pollers.js';

export interface StreamingDeps extends MastodonRoutesDeps {
  stream: Stream;
  search: Pick<Search, 'service'>;
  pollers: TimelinePollers;
  /** Checks `Bearer <token>` (the app's authentication: OAuth tokens and first-party ones). */
  authenticate(authorization: string): Promise<Principal | null>;
}

/** A socket's buffered bytes beyond which it is dropped (a client that stopped reading). */
const MAX_BUFFERED = 1024 * 1024;
const USER_STREAMS = new Set(['user', 'user:notification']);
const PUBLIC_STREAMS = new Set(['public', 'public:local']);
const TAG_STREAMS = new Set(['hashtag', 'hashtag:local']);
const TAG = /^[\p{L}\p{M}\p{N}_]{1,100}$/u;

/**
 * Mastodon's streaming API over WebSocket (`/api/v1/streaming`): `user` and `user:notification`
 * from the live stream module (the same events as the SSE stream), `public`, `public:local`,
 * `hashtag` and `hashtag:local` from the timelines, polled while someone listens. Streams are chosen
 * by `?stream=` and changed with `{"type":"subscribe"|"unsubscribe","stream":...,"tag":...}`.
 * Messages are `{"stream":[...],"event":"update"|"delete"|"notification","payload":"<json>"}`.
 */
export function streamingRoutes(deps: StreamingDeps) {
  const { feed, views, stream, search, pollers } = deps;
  const principals = new WeakMap<FastifyRequest, Principal | null>();

  return async (fastify: FastifyInstance): Promise<void> => {
    // @fastify/websocket is registered once by the app (src/http/websocket.plugin.ts, 16 KiB frames).
    fastify.addHook('onClose', async () => pollers.close());

    fastify.get('/api/v1/streaming/health', { schema: { tags: ['mastodon'], summary: 'Streaming health (Mastodon)' } }, async (_request, reply) => reply.type('text/plain').send('OK'));

    fastify.get(
      '/api/v1/streaming',
      {
        websocket: true,
        schema: { tags: ['mastodon'], summary: 'Mastodon’s streaming API over WebSocket', hide: true },
        // Authenticated before the upgrade: a bad token gets a 401, not a socket.
        preValidation: async (request) => {
          const query = request.query as Record<string, unknown>;
          const token = typeof query.access_token === 'string' ? query.access_token : (request.headers['sec-websocket-protocol']?.split(',')[0]?.trim() ?? undefined);
          const principal = request.principal ?? (token === undefined || token === '' ? null : await deps.authenticate(`Bearer ${token}`));
          if (token !== undefined && token !== '' && principal === null) throw new UnauthorizedError('The access token is not valid', 'invalid_token');
          principals.set(request, principal);
        },
      },
      (socket: WebSocket, request) => {
        const principal = principals.get(request) ?? null;
        const viewer = principal?.userId ?? null;
        const subscriptions = new Map<string, () => void>();
        let userStreams = new Set<string>();
        let detachUser: (() => void) | undefined;
        let closed = false;

        const send = (streamName: string[], event: string, payload: string) => {
          if (closed || socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > MAX_BUFFERED) {
            socket.terminate();
            return;
          }
          socket.send(JSON.stringify({ stream: streamName, event, payload }));
        };
        const fail = (error: string) => send([], 'error', JSON.stringify({ error }));
        const onError = (err: unknown) => request.log.warn({ err }, 'mastodon streaming event failed');

        // The live stream's events, as Mastodon's.
        const relay = async (type: string, data: Record<string, unknown>) => {
          if (viewer === null) return;
          if (type === 'tweet' && userStreams.has('user')) {
            const [status] = await views.statuses(await feed.tweetsByIds([String(data.id)]), viewer);
            if (status !== undefined) send(['user'], 'update', JSON.stringify(status));
          } else if (type === 'delete' && userStreams.has('user')) {
            send(['user'], 'delete', String(data.id));
          } else if (type === 'notification') {
            const actor = (data.actor as { id?: string } | undefined)?.id;
            const type = NOTIFICATION_TYPES[data.kind as keyof typeof NOTIFICATION_TYPES] as (typeof NOTIFICATION_TYPES)[keyof typeof NOTIFICATION_TYPES] | undefined;
            if (actor === undefined || type === undefined || type === null) return;
            const [account] = await views.accountsById([actor]);
            const tweetId = typeof data.tweetId === 'string' ? data.tweetId : null;
            const [status] = tweetId === null ? [] : await views.statuses(await feed.tweetsByIds([tweetId]), viewer);
            if (account === undefined || (tweetId !== null && status === undefined)) return;
            const notification = { id: String(data.id), type, created_at: String(data.createdAt), account, ...(status === undefined ? {} : { status }) };
            for (const name of userStreams) send([name], 'notification', JSON.stringify(notification));
          }
        };
        // The hub writes event-stream text; each `event:`/`data:` block is one event.
        const sink: SseSink = {
          write(chunk: string) {
            for (const block of chunk.split('\n\n')) {
              const type = /^event: (.+)$/m.exec(block)?.[1];
              const data = /^data: (.+)$/m.exec(block)?.[1];
              if (type !== undefined && data !== undefined) void relay(type, JSON.parse(data) as Record<string, unknown>).catch(onError);
              else if (block.startsWith(': heartbeat') && socket.readyState === socket.OPEN) socket.ping();
            }
            return socket.bufferedAmount < MAX_BUFFERED;
          },
          end: () => socket.close(1001, 'server shutting down'),
          destroy: () => socket.terminate(),
          get writableLength() {
            return socket.bufferedAmount;
          },
          once: (_event, listener) => setImmediate(listener),
        };

        const timelineListener = (name: string[]) => (tweets: Tweet[]) =>
          void views
            .statuses(tweets, viewer)
            .then((statuses) => statuses.forEach((s) => send(name, 'update', JSON.stringify(s))))
            .catch(onError);

        const subscribe = async (name: string, tag: string | undefined) => {
          if (USER_STREAMS.has(name)) {
            if (principal === null) return fail('Missing access token');
            userStreams = new Set([...userStreams, name]);
            if (detachUser === undefined) {
              const attached = await stream.attach(principal.userId, () => (closed ? null : sink));
              if (attached === null) return;
              if (closed) return attached.detach();
              detachUser = attached.detach;
            }
            return;
          }
          if (PUBLIC_STREAMS.has(name)) {
            if (subscriptions.has(name)) return;
            // Every account is local here: public and public:local are the same timeline.
            const stop = pollers.subscribe('public', () => feed.actions.publicTimeline({ limit: 40 }), timelineListener([name]));
            if (stop === null) return fail('Too many streams');
            subscriptions.set(name, stop);
            return;
          }
          if (TAG_STREAMS.has(name)) {
            const tagName = tag?.replace(/^#/, '').toLowerCase();
            if (tagName === undefined || !TAG.test(tagName)) return fail('Missing or invalid tag');
            const key = `${name}:${tagName}`;
            if (subscriptions.has(key)) return;
            const read = async () => feed.tweetsByIds((await search.service.tweets(`#${tagName}`, { limit: 40 })).items.map((h) => h.id));
            const stop = pollers.subscribe(`tag:${tagName}`, read, timelineListener([name, tagName]));
            if (stop === null) return fail('Too many streams');
            subscriptions.set(key, stop);
            return;
          }
          return fail('Unknown stream type');
        };
        const unsubscribe = (name: string, tag: string | undefined) => {
          if (USER_STREAMS.has(name)) userStreams = new Set([...userStreams].filter((s) => s !== name));
          const key = TAG_STREAMS.has(name) ? `${name}:${(tag ?? '').replace(/^#/, '').toLowerCase()}` : name;
          subscriptions.get(key)?.();
          subscriptions.delete(key);
        };

        socket.on('message', (raw) => {
          let message: { type?: unknown; stream?: unknown; tag?: unknown };
          try {
            message = JSON.parse(String(raw)) as typeof message;
          } catch {
            return fail('Malformed message');
          }
          if (typeof message !== 'object' || message === null || typeof message.stream !== 'string') return fail('Missing stream');
          const tag = typeof message.tag === 'string' ? message.tag : undefined;
          if (message.type === 'subscribe') void subscribe(message.stream, tag).catch(onError);
          else if (message.type === 'unsubscribe') unsubscribe(message.stream, tag);
          else fail('Unknown message type');
        });
        socket.on('close', () => {
          closed = true;
          detachUser?.();
          for (const stop of subscriptions.values()) stop();
          subscriptions.clear();
        });
        const query = request.query as Record<string, unknown>;
        if (typeof query.stream === 'string') void subscribe(query.stream, typeof query.tag === 'string' ? query.tag : undefined).catch(onError);
      },
    );
  };
}
