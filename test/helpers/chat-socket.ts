import WebSocket from 'ws';
import { until } from './poll.js';

/** A frame the chat server sent (loosely typed: tests read what they check). */
export type ServerFrame = { type: string; ref?: string; conversationId?: string; seq?: number; [key: string]: unknown };

export interface ChatSocketOptions {
  /** How the token travels: the Authorization header (default) or the browser's subprotocol. */
  via?: 'header' | 'protocol';
  origin?: string;
}

let refs = 0;

/**
 * A chat client over a real WebSocket (the `ws` package), recording every frame it receives, for
 * the chat socket's end-to-end tests and the scaled ones.
 */
export class ChatSocketClient {
  readonly frames: ServerFrame[] = [];
  /** Resolves with the close code and reason once the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(String(data)) as ServerFrame);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The socket URL of a server listening on `base` (http://host:port). */
  static url(base: string): string {
    return `${base.replace(/^http/, 'ws')}/api/v1/chat/socket`;
  }

  /** Opens a socket and waits for the `ready` frame. */
  static async open(base: string, token: string, options: ChatSocketOptions = {}): Promise<ChatSocketClient> {
    const headers: Record<string, string> = {};
    if (options.via !== 'protocol') headers.authorization = `Bearer ${token}`;
    if (options.origin !== undefined) headers.origin = options.origin;
    const protocols = options.via === 'protocol' ? ['blueprint.chat.v1', `bearer.${token}`] : undefined;
    const ws = new WebSocket(ChatSocketClient.url(base), protocols, { headers });
    const client = new ChatSocketClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    await client.next((f) => f.type === 'ready');
    return client;
  }

  /** Sends a frame (an object is sent as JSON text). */
  send(frame: object | string | Buffer, options: { binary?: boolean } = {}): void {
    this.ws.send(typeof frame === 'object' && !Buffer.isBuffer(frame) ? JSON.stringify(frame) : frame, { binary: options.binary ?? false });
  }

  /** Sends a frame with a fresh `ref` and resolves with the ack, or rejects with the error frame. */
  async request(frame: Record<string, unknown>, timeoutMs = 10_000): Promise<ServerFrame> {
    const ref = `req-${++refs}`;
    this.send({ ...frame, ref });
    const answer = await this.next((f) => f.ref === ref && ['ack', 'error', 'resumed', 'pong'].includes(f.type), timeoutMs);
    if (answer.type === 'error') throw Object.assign(new Error(`${String(answer.code)}: ${String(answer.detail)}`), { frame: answer });
    return answer;
  }

  /** The first frame (already received or to come) that matches. */
  async next(match: (frame: ServerFrame) => boolean, timeoutMs = 10_000): Promise<ServerFrame> {
    let found: ServerFrame | undefined;
    await until(() => (found = this.frames.find(match)) !== undefined, 'a matching chat frame', { timeoutMs, intervalMs: 5 });
    return found!;
  }

  /** The frames of a type (and conversation) received so far. */
  of(type: string, conversationId?: string): ServerFrame[] {
    return this.frames.filter((f) => f.type === type && (conversationId === undefined || f.conversationId === conversationId));
  }

  /** The seqs of the message events of a conversation, in arrival order. */
  seqs(conversationId: string): number[] {
    return this.frames.filter((f) => f.type.startsWith('message.') && f.conversationId === conversationId).map((f) => f.seq!);
  }

  close(): void {
    this.ws.close();
  }
}
