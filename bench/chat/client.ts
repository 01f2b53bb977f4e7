/**
 * A load-client process of `npm run bench:chat` (forked by bench/chat/clients.ts, commands over
 * IPC: see protocol.ts). It holds its share of the WebSockets (the `ws` client library, as any
 * Node client would), mints each account's access token with the key the server was given, and:
 * - connects its members with at most `concurrency` handshakes at once, each done at the server's
 *   `ready` frame, reporting progress;
 * - sends `send` frames at a fixed rate, evenly (a 1 ms tick sends what is due, round robin over
 *   its senders, never more than `maxInFlight` unanswered), each text starting with its send time
 *   (epoch ms, µs precision: every process reads the same clock);
 * - counts every `message.created` per socket and conversation seq (duplicates, losses) and the
 *   send → delivery latency of each.
 * Bounded: every wait has a deadline; the coordinator kills it if it stops answering.
 */
import { createPrivateKey } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { minterLike, type Minter } from '../feed/clients.js';
import { compact, emptyHistogram, record } from './histogram.js';
import type { ConnectResult, DrainResult, Member, Progress, Reply, Request, RunResult, StatusResult } from './protocol.js';

/** Wall-clock time in ms with sub-ms precision, comparable across processes of this machine. */
const now = () => performance.timeOrigin + performance.now();

interface Conn {
  member: Member;
  ws: WebSocket;
  /** seen[seq] = times a message.created of that seq arrived (its one conversation). */
  seen: Uint8Array;
}

const conns: Conn[] = [];
const closed: Record<string, number> = {};
let pings = 0;
let minter: Minter | undefined;

// What the run measures (reset by each `run`).
let windowStart = Number.POSITIVE_INFINITY;
let windowEnd = Number.POSITIVE_INFINITY;
let deliveries = 0;
let deliveriesInWindow = 0;
let duplicates = 0;
let latency = emptyHistogram();
let ackLatency = emptyHistogram();
const other: Record<string, number> = {};
/** ref → send time of the sends not answered yet. */
const inFlight = new Map<string, number>();
const lastSeq: Record<string, number> = {};
let acked = 0;
const errors: Record<string, number> = {};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
/** Runs so far: part of every clientId, which the server deduplicates (a reused one is a resend). */
let runs = 0;

const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);

interface Frame {
  type?: string;
  ref?: string;
  seq?: number;
  code?: string;
  conversationId?: string;
  message?: { seq?: number; text?: string; conversationId?: string };
}

function onFrame(conn: Conn, data: WebSocket.RawData): void {
  let frame: Frame;
  try {
    frame = JSON.parse(data.toString()) as Frame;
  } catch {
    count(other, 'not JSON');
    return;
  }
  switch (frame.type) {
    case 'message.created': {
      const seq = frame.seq ?? -1;
      const at = now();
      if (!Number.isInteger(seq) || seq < 0) return void count(other, 'message.created without seq');
      if (seq >= conn.seen.length) {
        const grown = new Uint8Array(Math.max(seq + 1, conn.seen.length * 2));
        grown.set(conn.seen);
        conn.seen = grown;
      }
      if (conn.seen[seq]! > 0) duplicates++;
      conn.seen[seq] = Math.min(255, conn.seen[seq]! + 1);
      deliveries++;
      if (at >= windowStart && at <= windowEnd) deliveriesInWindow++;
      const text = frame.message?.text ?? '';
      if (text.startsWith('bench ')) {
        const sentAt = Number(text.slice(6, text.indexOf(' ', 6)));
        if (sentAt >= windowStart && sentAt <= windowEnd) record(latency, at - sentAt);
      }
      return;
    }
    case 'ack': {
      const sentAt = frame.ref === undefined ? undefined : inFlight.get(frame.ref);
      if (sentAt === undefined) return void count(other, 'ack (not ours)');
      inFlight.delete(frame.ref!);
      acked++;
      record(ackLatency, now() - sentAt);
      const conversationId = frame.message?.conversationId ?? conn.member.conversationId!;
      const seq = frame.message?.seq ?? 0;
      if (seq > (lastSeq[conversationId] ?? 0)) lastSeq[conversationId] = seq;
      return;
    }
    case 'error': {
      if (frame.ref !== undefined && inFlight.delete(frame.ref)) count(errors, frame.code ?? 'error');
      else count(other, `error ${frame.code ?? ''}`);
      return;
    }
    default:
      count(other, String(frame.type));
  }
}

/** Opens one socket and waits for the server's `ready` frame; rejects with a short reason. */
function open(url: string, member: Member, token: string, timeoutMs: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: timeoutMs, maxPayload: 1 << 20 });
    const conn: Conn = { member, ws, seen: new Uint8Array(16) };
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(reason));
    };
    const timer = setTimeout(() => fail('no ready frame in time'), timeoutMs);
    ws.once('unexpected-response', (req, res) => {
      res.resume();
      req.destroy();
      fail(`HTTP ${res.statusCode}`);
    });
    ws.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message.slice(0, 60)));
    ws.on('ping', () => pings++);
    ws.once('close', (code) => {
      if (!settled) return fail(`closed ${code} before ready`);
      count(closed, String(code));
    });
    ws.once('message', (data) => {
      const type = (JSON.parse(data.toString()) as Frame).type;
      if (type !== 'ready') return fail(`first frame ${type}`);
      settled = true;
      clearTimeout(timer);
      ws.on('message', (d) => onFrame(conn, d));
      resolve(conn);
    });
  });
}

async function connect(req: Extract<Request, { cmd: 'connect' }>): Promise<ConnectResult> {
  if (minter === undefined) throw new Error('init first');
  const started = performance.now();
  const failures: Record<string, number> = {};
  let next = 0;
  let connected = 0;
  let failed = 0;
  const progress = setInterval(() => process.send!({ progress: true, connected, failed } satisfies Progress), 1_000);
  try {
    await Promise.all(
      Array.from({ length: Math.min(req.concurrency, req.members.length) }, async () => {
        while (next < req.members.length) {
          const member = req.members[next++]!;
          try {
            const token = await minter!.mint(member.userId, member.username);
            conns.push(await open(req.urls[member.server ?? 0]!, member, token, req.timeoutMs));
            connected++;
          } catch (err) {
            failed++;
            count(failures, (err as Error).message);
          }
        }
      }),
    );
  } finally {
    clearInterval(progress);
  }
  return { connected, failed, failures, ms: performance.now() - started };
}

function status(): StatusResult {
  return { open: conns.filter((c) => c.ws.readyState === WebSocket.OPEN).length, closed: { ...closed }, pings };
}

async function run(req: Extract<Request, { cmd: 'run' }>): Promise<RunResult> {
  const senders = conns.filter((c) => c.member.sender && c.ws.readyState === WebSocket.OPEN);
  windowStart = req.startAt + req.warmSeconds * 1000;
  windowEnd = req.startAt + req.seconds * 1000;
  deliveries = deliveriesInWindow = duplicates = acked = 0;
  for (const into of [errors, lastSeq, other]) for (const key of Object.keys(into)) delete into[key];
  inFlight.clear();
  latency = emptyHistogram();
  ackLatency = emptyHistogram();
  loopDelay.reset();
  loopDelay.enable();
  const filler = 'x'.repeat(Math.max(0, req.textBytes - 26));
  const run = ++runs;
  const result: RunResult = { sent: 0, acked: 0, sentInWindow: 0, errors, unanswered: 0, lastSeq, maxBehind: 0, ackLatency: [], lastSentAt: 0 };
  if (senders.length === 0 || req.rate <= 0) return result;
  await new Promise((r) => setTimeout(r, Math.max(0, req.startAt - Date.now())));
  const start = now();
  let turn = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      const elapsed = t - start;
      if (elapsed < req.seconds * 1000) {
        const due = Math.floor((elapsed * req.rate) / 1000) + 1;
        while (result.sent < due && inFlight.size < req.maxInFlight) {
          const conn = senders[turn++ % senders.length]!;
          const ref = String(++result.sent);
          const sentAt = now();
          inFlight.set(ref, sentAt);
          if (sentAt >= windowStart && sentAt <= windowEnd) result.sentInWindow++;
          conn.ws.send(`{"type":"send","ref":"${ref}","conversationId":"${conn.member.conversationId}","clientId":"b${process.pid}-${run}-${ref}","text":"bench ${sentAt.toFixed(3)} ${filler}"}`);
        }
        result.maxBehind = Math.max(result.maxBehind, due - result.sent);
        result.lastSentAt = Date.now();
        return;
      }
      // Sending is over: wait for the answers, at most 10 s.
      if (inFlight.size === 0 || elapsed > req.seconds * 1000 + 10_000) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 1);
  });
  return { ...result, acked, unanswered: inFlight.size, ackLatency: compact(ackLatency) };
}

async function drain(req: Extract<Request, { cmd: 'drain' }>): Promise<DrainResult> {
  const started = performance.now();
  const missing = () => {
    let lost = 0;
    for (const c of conns) {
      const range = c.member.conversationId === undefined ? undefined : req.expected[c.member.conversationId];
      if (range === undefined) continue;
      for (let seq = range[0] + 1; seq <= range[1]; seq++) if ((c.seen[seq] ?? 0) === 0) lost++;
    }
    return lost;
  };
  let lost = missing();
  while (lost > 0 && performance.now() - started < req.timeoutMs) {
    await new Promise((r) => setTimeout(r, 100));
    lost = missing();
  }
  loopDelay.disable();
  return {
    deliveries,
    deliveriesInWindow,
    duplicates,
    lost,
    latency: compact(latency),
    other: { ...other },
    closed: { ...closed },
    loopDelayP99: loopDelay.percentile(99) / 1e6,
    loopDelayMax: loopDelay.max / 1e6,
    drainMs: performance.now() - started,
  };
}

/** Resets every socket (RST, SO_LINGER 0): no TIME_WAIT left holding the client ports of the next phase. */
function closeAll(): { closed: number } {
  const n = conns.length;
  for (const c of conns.splice(0)) {
    // Closed on purpose: not counted as closed by the server.
    c.ws.removeAllListeners('close');
    c.ws.removeAllListeners('error');
    c.ws.on('error', () => {});
    const socket = (c.ws as unknown as { _socket?: { resetAndDestroy?: () => void } })._socket;
    if (socket?.resetAndDestroy) socket.resetAndDestroy();
    else c.ws.terminate();
  }
  for (const key of Object.keys(closed)) delete closed[key];
  return { closed: n };
}

async function handle(req: Request): Promise<unknown> {
  switch (req.cmd) {
    case 'init':
      minter = minterLike(req.template, createPrivateKey(req.keyPem), 86_400);
      return null;
    case 'connect':
      return connect(req);
    case 'status':
      return status();
    case 'run':
      return run(req);
    case 'drain':
      return drain(req);
    case 'close':
      return closeAll();
  }
}

process.on('message', (req: Request) => {
  handle(req).then(
    (result) => process.send!({ id: req.id, ok: true, result } satisfies Reply),
    (err: unknown) => process.send!({ id: req.id, ok: false, error: String((err as Error).stack ?? err) } satisfies Reply),
  );
});
// The coordinator gone (killed, crashed): nothing left to hold the sockets for.
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
// Exit through process.exit, so that a --cpu-prof profile (BENCH_CLIENT_PROFILE_DIR) is written.
process.once('SIGTERM', () => process.exit(0));
