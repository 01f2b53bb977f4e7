import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ForbiddenError, ProblemSchema as Problem, UnauthorizedError, ValidationError } from '../../shared/errors/index.js';
import type { Principal } from '../accounts/index.js';
import type { UserView } from './chat.model.js';
import type { ChatHub } from './chat.hub.js';

/** The subprotocol the server speaks; browsers pass the token as a second one, `bearer.<token>`. */
export const CHAT_PROTOCOL = 'blueprint.chat.v1';
const BEARER_PROTOCOL = 'bearer.';

export interface ChatSocketRoutesDeps {
  hub: ChatHub;
  /** The app's check of an Authorization value (`Bearer <token>`: OAuth tokens and first-party ones). */
  authenticate(authorization: string): Promise<Principal | null>;
  /** Origins a browser may open the socket from: PUBLIC_URL's and CORS_ORIGINS. */
  trustedOrigins: readonly string[];
  /** The view of the signed-in user (the `ready` frame, typing and presence). */
  userView(principal: Principal): Promise<UserView>;
}

/** The subprotocols the client offered, in its order. */
function offeredProtocols(request: FastifyRequest): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * `GET /api/v1/chat/socket`: the chat's WebSocket (docs/chat.md, "WebSocket"). Everything that can
 * refuse the client does it before the upgrade, as an HTTP problem: an Origin that is not ours (403,
 * a page elsewhere riding a user's token), no or a bad token (401). The token comes in the
 * Authorization header or, from browsers (which cannot set headers on a WebSocket), as the
 * subprotocol `bearer.<token>` beside `blueprint.chat.v1`, which the server selects. Never in the
 * URL: URLs are logged.
 */
export function chatSocketRoutes(deps: ChatSocketRoutesDeps): FastifyPluginAsync {
  const trusted = new Set(deps.trustedOrigins);
  const views = new WeakMap<FastifyRequest, UserView>();
  return async (fastify: FastifyInstance) => {
    fastify.addHook('preClose', async () => deps.hub.close());
    fastify.get(
      '/api/v1/chat/socket',
      {
        websocket: true,
        schema: {
          tags: ['chat'],
          summary: 'The chat’s WebSocket (subprotocol blueprint.chat.v1): events, sending, typing, presence, receipts, resume',
          security: [{ bearer: [] }],
          response: { 400: Problem, 401: Problem, 403: Problem, 404: Problem },
        },
        preValidation: async (request) => {
          const origin = request.headers.origin;
          if (origin !== undefined && !trusted.has(origin)) throw new ForbiddenError('This origin may not open the chat socket', 'origin_not_allowed');
          const protocols = offeredProtocols(request);
          if (protocols.length > 0 && !protocols.includes(CHAT_PROTOCOL)) throw new ValidationError(`Offer the subprotocol ${CHAT_PROTOCOL}`, [], 'bad_subprotocol');
          const token = protocols.find((p) => p.startsWith(BEARER_PROTOCOL))?.slice(BEARER_PROTOCOL.length);
          // A bad Authorization header left request.principal null (the app's hook does not refuse).
          const hasHeader = request.headers.authorization !== undefined;
          let principal = request.principal;
          if (principal === null && !hasHeader && token !== undefined && token !== '') principal = await deps.authenticate(`Bearer ${token}`);
          if (principal === null) throw new UnauthorizedError(hasHeader || token !== undefined ? 'The access token is not valid' : 'Authentication required', hasHeader || token !== undefined ? 'invalid_token' : 'authentication_required');
          request.principal = principal;
          views.set(request, await deps.userView(principal));
        },
      },
      (socket, request) => {
        const principal = request.principal!;
        deps.hub.open(socket, {
          userId: principal.userId,
          user: views.get(request) ?? { id: principal.userId, username: principal.username, displayName: principal.username },
          sessionId: principal.sessionId,
          expiresAt: principal.tokenExpiresAt === undefined ? undefined : principal.tokenExpiresAt * 1000,
        });
      },
    );
  };
}
