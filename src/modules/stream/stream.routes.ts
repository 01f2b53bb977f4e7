import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ProblemSchema as Problem, UnauthorizedError } from '../../shared/errors/index.js';
import type { Principal } from '../accounts/index.js';
import type { SseSink } from './sse-client.js';
import { ApiKeyInUrlError } from './stream.errors.js';
import type { StreamHub } from './stream.hub.js';

export interface StreamRoutesDeps {
  hub: StreamHub;
  /** The accounts module's check of an Authorization value (`Bearer <token>`). */
  authenticate: (authorization: string) => Promise<Principal | null>;
  /** How long shutdown waits for streams to close before destroying them. */
  closeGraceMs: number;
  /** The accounts module's revocations (logout, refresh reuse, in any process): a stream of a revoked session ends. */
  onSessionRevoked: (listener: (sessionId: string) => void) => () => void;
  /** Epoch ms (the injected clock, which signed the token). */
  now: () => number;
}

/** The largest delay setTimeout takes (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const StreamQuery = Type.Object({
  access_token: Type.Optional(Type.String({ maxLength: 4096, description: 'For EventSource, which cannot send headers: a short-lived access token (not an API key). Prefer the Authorization header.' })),
  lastEventId: Type.Optional(Type.String({ maxLength: 32, description: 'Same as the Last-Event-ID header, for clients that cannot set it.' })),
});

/**
 * The signed-in user of a stream request: the Authorization header (resolved by the app's hook), or
 * `?access_token=`, because browsers' EventSource cannot set headers. A token in a URL can leak
 * (proxy logs, browser history, Referer), so only short-lived access tokens are accepted there:
 * API keys, long-lived, are refused; our access log records the path without the query.
 */
async function principalOf(fromHeader: Principal | null, token: string | undefined, authenticate: StreamRoutesDeps['authenticate']): Promise<Principal> {
  if (fromHeader !== null) return fromHeader;
  if (token === undefined) throw new UnauthorizedError();
  if (token.startsWith('bp_')) throw new ApiKeyInUrlError();
  const principal = await authenticate(`Bearer ${token}`);
  if (principal === null) throw new UnauthorizedError();
  return principal;
}

/** Takes the response over from Fastify and sends the event-stream headers (plus those hooks set). */
function takeOver(request: FastifyRequest, reply: FastifyReply): SseSink | null {
  if (request.raw.destroyed || reply.raw.destroyed) return null;
  reply.hijack();
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value;
  reply.raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    // no-transform: compressing proxies would buffer the stream.
    'cache-control': 'no-cache, no-transform',
    // nginx buffers proxied responses unless told not to.
    'x-accel-buffering': 'no',
  });
  return reply.raw as unknown as SseSink;
}

/** `GET /api/v1/stream`: Server-Sent Events of the signed-in user (tweets, deletions, notifications). */
export function streamRoutes(deps: StreamRoutesDeps): FastifyPluginAsync {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    // The streams of each session, ended when it is revoked: a stream outlives neither its session
    // nor its token. (One subscription for all of them: a revocation costs a Map lookup.)
    const bySession = new Map<string, Set<() => void>>();
    const stopWatching = deps.onSessionRevoked((sessionId) => {
      for (const end of [...(bySession.get(sessionId) ?? [])]) end();
    });
    // Open streams never end by themselves: without this, closing the server would wait for them.
    app.addHook('preClose', async () => deps.hub.endAll(deps.closeGraceMs));
    app.addHook('onClose', async () => {
      stopWatching();
      deps.hub.close();
    });
    app.get(
      '/api/v1/stream',
      {
        schema: {
          tags: ['feed'],
          summary: 'Live events (text/event-stream): `tweet`, `delete`, `notification`; `reset` when Last-Event-ID is too old to replay',
          security: [{ bearer: [] }],
          querystring: StreamQuery,
          response: { 401: Problem, 429: Problem, 503: Problem },
        },
      },
      async (request, reply) => {
        const principal = await principalOf(request.principal, request.query.access_token, deps.authenticate);
        const header = request.headers['last-event-id'];
        const lastEventId = (Array.isArray(header) ? header[0] : header) ?? request.query.lastEventId;
        const opened = await deps.hub.connect(principal.userId, lastEventId, () => takeOver(request, reply));
        if (opened === null) return reply.hijack();
        let detached = false;
        // The client reconnects with a fresh token (the web app renews it first) and Last-Event-ID.
        const end = () => {
          if (!reply.raw.destroyed) reply.raw.end();
        };
        const sessionId = principal.sessionId;
        if (sessionId !== undefined) {
          const ends = bySession.get(sessionId) ?? new Set();
          bySession.set(sessionId, ends.add(end));
        }
        const expiry = principal.tokenExpiresAt === undefined ? undefined : setTimeout(end, Math.min(MAX_TIMER_MS, Math.max(0, principal.tokenExpiresAt * 1000 - deps.now()))).unref();
        const closed = () => {
          if (detached) return;
          detached = true;
          clearTimeout(expiry);
          if (sessionId !== undefined) {
            const ends = bySession.get(sessionId);
            ends?.delete(end);
            if (ends?.size === 0) bySession.delete(sessionId);
          }
          opened.detach();
          if (opened.client.dropped) request.log.warn({ userId: principal.userId }, 'live stream dropped: the client reads too slowly');
        };
        reply.raw.once('close', closed);
        // Already gone (e.g. dropped while being sent the replay): 'close' may not come through `once` in time.
        if (reply.raw.destroyed) closed();
        return reply;
      },
    );
  };
}
