/**
 * The same-run baseline of `npm run bench:chat`: a bare `ws` server on Node's HTTP server, the
 * library Blueprint's chat uses under @fastify/websocket, with nothing else. It speaks just enough
 * of the chat protocol for the same load clients: the upgrade on /api/v1/chat/socket names the
 * user by the access token's `sub` (read, not verified: no auth, no store, no presence), a `ready`
 * frame on open, and a `send` is acknowledged and fanned out as a `message.created` frame of the
 * same shape (serialized once) to the sockets of the conversation's members, with a seq per
 * conversation. Memberships come from the JSON file named in argv[2] (`{ [userId]: conversationId }`),
 * if any. Prints a "listening" line like the real server's.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const membership = new Map(Object.entries(process.argv[2] === undefined ? {} : (JSON.parse(readFileSync(process.argv[2], 'utf8')) as Record<string, string>)));
const sockets = new Map<string, Set<WebSocket>>();
const lastSeq = new Map<string, number>();
let ids = 0n;

const server = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });

server.on('upgrade', (req, socket, head) => {
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const claims = token === undefined ? undefined : (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub?: string; preferred_username?: string });
  if (req.url !== '/api/v1/chat/socket' || claims?.sub === undefined) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
    return;
  }
  const user = { id: claims.sub, username: claims.preferred_username ?? claims.sub };
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conversationId = membership.get(user.id);
    if (conversationId !== undefined) {
      let members = sockets.get(conversationId);
      if (members === undefined) sockets.set(conversationId, (members = new Set()));
      members.add(ws);
      ws.once('close', () => members.delete(ws));
    }
    const author = { username: user.username, displayName: user.username };
    ws.send(JSON.stringify({ type: 'ready', user: author, sessionId: '0', heartbeatMs: 25_000 }));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; ref?: string; conversationId?: string; clientId?: string; text?: string };
      if (frame.type !== 'send' || conversationId === undefined || frame.conversationId !== conversationId) {
        ws.send(JSON.stringify({ type: 'error', ref: frame.ref, code: 'bad_frame', detail: 'not a send to your conversation' }));
        return;
      }
      const seq = (lastSeq.get(conversationId) ?? 0) + 1;
      lastSeq.set(conversationId, seq);
      const createdAt = new Date().toISOString();
      const message = { id: String(++ids), conversationId, seq, versionSeq: seq, author, text: frame.text, replyTo: null, mentions: [], clientId: frame.clientId, createdAt, editedAt: null, deleted: false };
      ws.send(JSON.stringify({ type: 'ack', ref: frame.ref, message }));
      const event = JSON.stringify({ type: 'message.created', conversationId, seq, message });
      for (const member of sockets.get(conversationId) ?? []) member.send(event);
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ msg: 'listening', address: `http://127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
});
