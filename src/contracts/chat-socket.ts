/**
 * How a browser opens the chat's WebSocket (docs/chat.md, "WebSocket"), written once for the
 * server (src/modules/chat/chat.socket.routes.ts) and the web app (web/src/chat/socket.ts): a
 * rename on one side cannot leave the other offering a subprotocol nobody selects.
 * This folder is shared with the web app: plain values and types only, no Node and no imports.
 */
export const CHAT_SOCKET = {
  path: '/api/v1/chat/socket',
  /** The subprotocol the server selects. */
  protocol: 'blueprint.chat.v1',
  /** Browsers cannot set headers on a WebSocket: the access token rides as a second subprotocol, `bearer.<token>`. */
  bearerPrefix: 'bearer.',
} as const;
