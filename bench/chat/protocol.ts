/**
 * The IPC protocol between bench/chat.bench.ts (the coordinator) and its load-client processes
 * (bench/chat/client.ts). Each client process holds its share of the WebSockets; the coordinator
 * tells it whom to connect, when to send and at what rate, and collects what it saw.
 */

/** One account a client process connects as. */
export interface Member {
  userId: string;
  username: string;
  /** Its group (phase 2); absent for the idle connections of phase 1. */
  conversationId?: string;
  /** Whether it sends (phase 2). */
  sender?: boolean;
  /** Which server URL of `connect.urls` it connects to (the scaled topology spreads them). */
  server?: number;
}

export type Request =
  | { id: number; cmd: 'init'; /** Ed25519 PKCS#8 PEM the server verifies with. */ keyPem: string; /** A token the server issued: its kid, issuer and audience are copied. */ template: string }
  | { id: number; cmd: 'connect'; urls: string[]; members: Member[]; concurrency: number; timeoutMs: number }
  | { id: number; cmd: 'status' }
  | { id: number; cmd: 'run'; /** Epoch ms at which sending starts (the same for every process). */ startAt: number; /** Messages per second from this process. */ rate: number; seconds: number; warmSeconds: number; maxInFlight: number; textBytes: number }
  | { id: number; cmd: 'drain'; /** Per conversation, the seqs every member must have received: (after, last], `last` the highest acknowledged over every process. */ expected: Record<string, [after: number, last: number]>; timeoutMs: number }
  | { id: number; cmd: 'close' };

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Unsolicited, from a client process: how far a ramp has got. */
export interface Progress {
  progress: true;
  connected: number;
  failed: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  /** Why connections failed: HTTP status of a refused upgrade, error code, or close code. */
  failures: Record<string, number>;
  ms: number;
}

export interface StatusResult {
  open: number;
  /** Sockets closed since they connected, by close code. */
  closed: Record<string, number>;
  /** Server pings answered (the heartbeat reached the idle sockets). */
  pings: number;
}

export interface RunResult {
  sent: number;
  acked: number;
  /** Sent within the measured window (after the warm-up). */
  sentInWindow: number;
  /** Error frames answering a send, by code. */
  errors: Record<string, number>;
  /** Sends never answered (by ack or error) when the drain began. */
  unanswered: number;
  /** The highest seq acknowledged per conversation. */
  lastSeq: Record<string, number>;
  /** Most sends the schedule had due but held back (max in flight reached). */
  maxBehind: number;
  /** Send → ack, ms, compact histogram (see histogram.ts). */
  ackLatency: [number, number][];
  lastSentAt: number;
}

export interface DrainResult {
  /** message.created frames received for the bench's messages, every socket. */
  deliveries: number;
  /** Those received within the measured window (their receive time). */
  deliveriesInWindow: number;
  /** A socket receiving the same (conversation, seq) twice. */
  duplicates: number;
  /** Expected (every acknowledged seq, by every member socket) and not received. */
  lost: number;
  /** Send → delivery, ms, measured window only, compact histogram. */
  latency: [number, number][];
  /** Other frames (presence, receipts, conversation.updated...) by type. */
  other: Record<string, number>;
  closed: Record<string, number>;
  /** Event-loop delay of this client process over the run: p99 and max (ms). */
  loopDelayP99: number;
  loopDelayMax: number;
  drainMs: number;
}
