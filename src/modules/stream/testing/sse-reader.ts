import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

/** One block of an event stream: an event (fields), or a comment line. */
export type SseBlock =
  | { kind: 'event'; id: string | undefined; event: string; data: string }
  /** Only an id: sets the browser's last event id, dispatches nothing. */
  | { kind: 'id'; id: string }
  | { kind: 'comment'; text: string };

/** Parses complete blocks off the front of `buffer`; returns them and the unfinished rest. */
export function parseSse(buffer: string): { blocks: SseBlock[]; rest: string } {
  const blocks: SseBlock[] = [];
  let rest = buffer;
  for (let end = rest.indexOf('\n\n'); end !== -1; end = rest.indexOf('\n\n')) {
    const raw = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const fields: Record<string, string> = {};
    let comment: string | undefined;
    for (const line of raw.split('\n')) {
      if (line.startsWith(':')) {
        comment = line.slice(1).trim();
        continue;
      }
      const colon = line.indexOf(':');
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      fields[name] = name === 'data' && fields.data !== undefined ? `${fields.data}\n${value}` : value;
    }
    const names = Object.keys(fields);
    if (names.length === 1 && fields.id !== undefined) blocks.push({ kind: 'id', id: fields.id });
    else if (names.length > 0) blocks.push({ kind: 'event', id: fields.id, event: fields.event ?? 'message', data: fields.data ?? '' });
    else if (comment !== undefined) blocks.push({ kind: 'comment', text: comment });
  }
  return { blocks, rest };
}

/** An open event stream, read as a browser would; every wait is bounded. */
export interface SseConnection {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** Every block received so far. */
  readonly blocks: SseBlock[];
  /** Events (not comments) received so far. */
  events(): Extract<SseBlock, { kind: 'event' }>[];
  /** Waits until some received block satisfies `test` (searching from the start); rejects after `timeoutMs`. */
  waitFor(test: (block: SseBlock) => boolean, timeoutMs?: number): Promise<SseBlock>;
  /** Waits for the server to end the stream; false if it is still open after `timeoutMs`. */
  ended(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

/**
 * Opens `url` and reads its body in the background. node:http with a connection of its own
 * (agent: false), not fetch: after an aborted stream, fetch's pool opens a spare connection that
 * never sends a request, and a server's close() waits for such connections (headersTimeout).
 */
export async function openSse(url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<SseConnection> {
  const req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.once('response', (r) => (clearTimeout(timer), resolve(r)));
    req.once('error', (e) => (clearTimeout(timer), reject(e)));
    req.end();
  });
  const blocks: SseBlock[] = [];
  const listeners = new Set<() => void>();
  let done = false;
  const notify = () => {
    for (const l of [...listeners]) l();
  };
  let buffer = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    const parsed = parseSse(buffer + chunk);
    buffer = parsed.rest;
    blocks.push(...parsed.blocks);
    notify();
  });
  const finish = () => {
    done = true;
    notify();
  };
  // Ended by the server, cut, or aborted by close(): either way the stream is over.
  res.once('end', finish);
  res.once('close', finish);
  res.once('error', finish);
  const until = (ready: () => boolean, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (ready()) return resolve(true);
      const check = () => {
        if (!ready()) return;
        cleanup();
        resolve(true);
      };
      const t = setTimeout(() => (cleanup(), resolve(false)), ms);
      const cleanup = () => {
        clearTimeout(t);
        listeners.delete(check);
      };
      listeners.add(check);
    });
  return {
    status: res.statusCode ?? 0,
    headers: { get: (name) => {
      const value = res.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    } },
    blocks,
    events: () => blocks.filter((b): b is Extract<SseBlock, { kind: 'event' }> => b.kind === 'event'),
    async waitFor(test, ms = 5_000) {
      const found = () => blocks.find(test);
      if (!(await until(() => found() !== undefined, ms))) {
        const seen = blocks.map((b) => (b.kind === 'event' ? `${b.event}#${b.id}:${b.data.slice(0, 60)}` : `${b.kind}:${b.kind === 'id' ? b.id : b.text}`));
        throw new Error(`no matching block within ${ms} ms; received ${blocks.length}: ${seen.slice(-10).join(' | ')}`);
      }
      return found()!;
    },
    ended: (ms = 5_000) => until(() => done, ms),
    close: () => req.destroy(),
  };
}

/**
 * A client that sends the request, waits for the response to start, then stops reading: its
 * socket's receive buffer fills, then the server's send buffer, then the server's own queue.
 */
export async function stalledClient(port: number, path: string, headers: Record<string, string>, timeoutMs = 5_000): Promise<{ socket: Socket; head: string; drain(timeoutMs?: number): Promise<{ text: string; ended: boolean }> }> {
  const socket = connect(port, '127.0.0.1');
  const lines = [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Accept: text/event-stream', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const head = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no response from the server')), timeoutMs);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(t);
      socket.pause();
      resolve(chunk.toString('utf8'));
    });
    socket.once('error', reject);
  });
  return {
    socket,
    head,
    drain(ms = 10_000) {
      return new Promise((resolve) => {
        let text = '';
        let settled = false;
        const finish = (ended: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(t);
          resolve({ text, ended });
        };
        const t = setTimeout(() => finish(false), ms);
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        socket.once('end', () => finish(true));
        socket.once('close', () => finish(true));
        socket.once('error', () => finish(true));
        socket.resume();
      });
    },
  };
}
