import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';

/** The largest frame any WebSocket route takes (a bigger one closes the socket with 1009). */
export const WEBSOCKET_MAX_PAYLOAD = 16 * 1024;

/**
 * Picks the subprotocol to answer with: the first offered that is not a credential. Browsers pass
 * a token the only way they can, as a subprotocol: the chat's clients offer
 * `['blueprint.chat.v1', 'bearer.<token>']` and get `blueprint.chat.v1`; Mastodon's clients offer
 * the token alone and get it echoed, as Mastodon does (a client that offers protocols must get one).
 */
export function selectSubprotocol(protocols: Set<string>): string | false {
  const offered = [...protocols];
  return offered.find((p) => !p.startsWith('bearer.')) ?? offered[0] ?? false;
}

/**
 * @fastify/websocket, once for the whole app: each registration listens to the server's `upgrade`
 * event and routes the request itself, so a second one (a module registering it in its own scope)
 * would route every upgrade twice. Routes anywhere declare `websocket: true`.
 */
export async function registerWebSocket(app: FastifyInstance): Promise<void> {
  await app.register(websocket, { options: { maxPayload: WEBSOCKET_MAX_PAYLOAD, handleProtocols: selectSubprotocol }, preClose: goingAway });
}

/**
 * At shutdown, every socket still open is closed with 1001 "going away", so that clients reconnect
 * (to another process, behind a gateway). The plugin's default closes without a code (clients
 * read 1005, "no status"), and as the app registers it first, its hook ran before the modules' own
 * (the chat hub's 1001).
 */
function goingAway(this: FastifyInstance, done: () => void): void {
  const server = this.websocketServer;
  for (const client of server.clients) client.close(1001, 'going away');
  server.close();
  done();
}
