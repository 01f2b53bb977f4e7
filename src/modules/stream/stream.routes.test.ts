import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerErrorHandlers } from '../../http/error-handler.js';
import { MemoryPubSub } from '../../platform/pubsub/memory/memory-pubsub.js';
import type { Principal } from '../accounts/index.js';
import { createStream, publishToUser, type Stream, type StreamDeps } from './index.js';
import { openSse, stalledClient, type SseConnection } from './testing/sse-reader.js';
import { waitFor } from '../../../test/helpers/poll.js';

/**
 * `Bearer user-<id>` signs in as user <id>; `Bearer user-<id>-s<session>` in a session, and with
 * `-e<epoch s>` a token expiring then; anything else is refused.
 */
async function authenticate(authorization: string): Promise<Principal | null> {
  const match = /^Bearer user-(\d+)(?:-s(\w+))?(?:-e(\d+))?$/.exec(authorization);
  if (match === null) throw Object.assign(new Error('bad token'), { statusCode: 401 });
  return { userId: match[1]!, username: `u${match[1]}`, via: 'jwt', ...(match[2] ? { sessionId: match[2] } : {}), ...(match[3] ? { tokenExpiresAt: Number(match[3]) } : {}) };
}

/** Stands for the accounts module's revocations. */
const revocationListeners = new Set<(sessionId: string) => void>();
const onSessionRevoked = (listener: (sessionId: string) => void) => {
  revocationListeners.add(listener);
  return () => revocationListeners.delete(listener);
};
const revoke = (sessionId: string) => revocationListeners.forEach((l) => l(sessionId));

interface Harness {
  app: FastifyInstance;
  pubsub: MemoryPubSub;
  stream: Stream;
  url: string;
  port: number;
}

const open: { harness: Harness; connections: SseConnection[] }[] = [];

async function start(options: Partial<StreamDeps> = {}): Promise<Harness & { connect(user: string, headers?: Record<string, string>, query?: string): Promise<SseConnection> }> {
  const pubsub = new MemoryPubSub({ namespace: `stream-test-${process.pid}-${Math.random()}` });
  const stream = createStream({ pubsub, authenticate, onSessionRevoked, replayEvents: 50, heartbeatSeconds: 60, ...options });
  const app = Fastify();
  registerErrorHandlers(app);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header !== undefined) request.principal = await authenticate(header);
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  await app.register(stream.routes);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  const harness = { app, pubsub, stream, port, url: `http://127.0.0.1:${port}/api/v1/stream` };
  const entry = { harness, connections: [] as SseConnection[] };
  open.push(entry);
  return {
    ...harness,
    async connect(user, headers = {}, query = '') {
      const connection = await openSse(`${harness.url}${query}`, { authorization: `Bearer user-${user}`, ...headers });
      entry.connections.push(connection);
      return connection;
    },
  };
}

afterEach(async () => {
  for (const { harness, connections } of open.splice(0)) {
    for (const c of connections) c.close();
    await harness.app.close();
    await harness.pubsub.close();
  }
});

const isEvent = (type: string, id?: string) => (b: { kind: string; event?: string; data?: string }) =>
  b.kind === 'event' && b.event === type && (id === undefined || (b.data ?? '').includes(`"${id}"`));
describe('GET /api/v1/stream', () => {
  it('relays the user\'s events, and only theirs, with increasing ids and the right headers', async () => {
    const h = await start();
    const alice = await h.connect('1');
    const bob = await h.connect('2');
    expect(alice.status).toBe(200);
    expect(alice.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(alice.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(alice.headers.get('x-request-id')).toBeTruthy();
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 't1', authorId: '9' } });
    await publishToUser(h.pubsub, '2', { type: 'tweet', data: { id: 't2', authorId: '9' } });
    await publishToUser(h.pubsub, '1', { type: 'delete', data: { id: 't1' } });
    await h.pubsub.publish('user:1', { type: 'evil', data: {} });
    await h.pubsub.publish('user:1', 'not an event');
    await publishToUser(h.pubsub, '1', { type: 'notification', data: { id: 'n1', kind: 'follow' } });
    await alice.waitFor(isEvent('notification'));
    await bob.waitFor(isEvent('tweet', 't2'));
    expect(alice.events().map((e) => [e.event, JSON.parse(e.data)])).toEqual([
      ['tweet', { id: 't1', authorId: '9' }],
      ['delete', { id: 't1' }],
      ['notification', { id: 'n1', kind: 'follow' }],
    ]);
    const ids = alice.events().map((e) => Number(e.id));
    expect(ids.every((id, i) => Number.isSafeInteger(id) && (i === 0 || id > ids[i - 1]!))).toBe(true);
    expect(bob.events().map((e) => e.event)).toEqual(['tweet']);
  });

  it('replays what was missed after Last-Event-ID, and sends reset when the id is too old', async () => {
    const h = await start({ replayEvents: 3 });
    const first = await h.connect('1');
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'a', authorId: '9' } });
    const seen = await first.waitFor(isEvent('tweet', 'a'));
    first.close();
    await waitFor(() => h.stream.stats().connections === 0);
    // Published while the user is away: kept in the user's log.
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'b', authorId: '9' } });
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'c', authorId: '9' } });
    await new Promise((r) => setTimeout(r, 50));
    const lastId = seen.kind === 'event' ? seen.id! : '';
    const back = await h.connect('1', { 'last-event-id': lastId });
    await back.waitFor(isEvent('tweet', 'c'));
    expect(back.events().map((e) => JSON.parse(e.data).id)).toEqual(['b', 'c']);
    // Same through the query string, for clients that cannot set the header.
    const viaQuery = await h.connect('1', {}, `?lastEventId=${lastId}`);
    await viaQuery.waitFor(isEvent('tweet', 'c'));
    expect(viaQuery.events().map((e) => JSON.parse(e.data).id)).toEqual(['b', 'c']);
    // Three more events push 'a' and 'b' out of a 3-event log: 'a' can no longer be replayed from.
    for (const id of ['d', 'e', 'f']) await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id, authorId: '9' } });
    await back.waitFor(isEvent('tweet', 'f'));
    const stale = await h.connect('1', { 'last-event-id': lastId });
    const reset = await stale.waitFor(isEvent('reset'));
    expect(stale.events().filter((e) => e.event === 'tweet')).toEqual([]);
    // The reset carries the current position: a reconnection from it replays from there.
    const position = reset.kind === 'event' ? reset.id : undefined;
    expect(position).toBe(back.events().at(-1)!.id);
    const unknown = await h.connect('1', { 'last-event-id': '99999999999999999' });
    await unknown.waitFor(isEvent('reset'));
  });

  it('sets the last event id on connect, so a reconnection without events in between misses nothing', async () => {
    const h = await start();
    const first = await h.connect('1');
    const initial = await first.waitFor((b) => b.kind === 'id');
    first.close();
    await waitFor(() => h.stream.stats().connections === 0);
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'while-away', authorId: '9' } });
    await new Promise((r) => setTimeout(r, 50));
    const back = await h.connect('1', { 'last-event-id': initial.kind === 'id' ? initial.id : '' });
    await back.waitFor(isEvent('tweet', 'while-away'));
  });

  it('forgets an idle user after retainSeconds (and beyond maxIdleUsers): a late reconnection gets reset', async () => {
    const h = await start({ retainSeconds: 0.1, maxIdleUsers: 1 });
    const first = await h.connect('1');
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'a', authorId: '9' } });
    const seen = await first.waitFor(isEvent('tweet', 'a'));
    first.close();
    expect(await waitFor(() => h.stream.stats().connections === 0)).toBe(true);
    expect(h.stream.stats().users).toBe(1);
    expect(await waitFor(() => h.stream.stats().users === 0, { timeoutMs: 2_000 })).toBe(true);
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'unlogged', authorId: '9' } });
    const back = await h.connect('1', { 'last-event-id': seen.kind === 'event' ? seen.id! : '' });
    await back.waitFor(isEvent('reset'));
    // Two idle users with room for one: the longest idle goes at once.
    back.close();
    (await h.connect('2')).close();
    expect(await waitFor(() => h.stream.stats().connections === 0)).toBe(true);
    expect(h.stream.stats().users).toBe(1);
  });

  it('sends heartbeat comments', async () => {
    const h = await start({ heartbeatSeconds: 0.05 });
    const c = await h.connect('1');
    await c.waitFor((b) => b.kind === 'comment' && b.text === 'heartbeat', 2_000);
  });

  it('accepts ?access_token= but never an API key there, and refuses anonymous requests', async () => {
    const h = await start();
    const viaQuery = await openSse(`${h.url}?access_token=user-7`);
    expect(viaQuery.status).toBe(200);
    viaQuery.close();
    const key = await fetch(`${h.url}?access_token=bp_abcdefabcdef`);
    expect(key.status).toBe(401);
    expect(((await key.json()) as { code: string }).code).toBe('api_key_in_url');
    const anonymous = await fetch(h.url);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { code: string }).code).toBe('authentication_required');
  });

  it('answers 503 when the bus cannot take the subscription, and recovers', async () => {
    const h = await start();
    const ready = h.pubsub.ready.bind(h.pubsub);
    h.pubsub.ready = () => Promise.reject(new Error('redis down'));
    const refused = await fetch(h.url, { headers: { authorization: 'Bearer user-1' } });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('stream_unavailable');
    h.pubsub.ready = ready;
    const c = await h.connect('1');
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'after', authorId: '2' } });
    await c.waitFor(isEvent('tweet', 'after'));
  });

  it('ends the streams of a revoked session at once, and others stay open', async () => {
    const h = await start();
    const revoked = await h.connect('1-sA');
    const sameUserOtherSession = await h.connect('1-sB');
    const viaQuery = await openSse(`${h.url}?access_token=user-1-sA`);
    expect([revoked.status, sameUserOtherSession.status, viaQuery.status]).toEqual([200, 200, 200]);
    revoke('A');
    expect(await revoked.ended(2_000)).toBe(true);
    expect(await viaQuery.ended(2_000)).toBe(true);
    await publishToUser(h.pubsub, '1', { type: 'tweet', data: { id: 'after', authorId: '9' } });
    expect(await waitFor(() => sameUserOtherSession.blocks.some(isEvent('tweet', 'after')), { timeoutMs: 5_000 })).toBe(true);
  });

  it('ends a stream when its access token expires', async () => {
    const h = await start();
    const expiring = await h.connect(`1-sC-e${Math.floor(Date.now() / 1000) + 1}`);
    const lasting = await h.connect(`2-sD-e${Math.floor(Date.now() / 1000) + 600}`);
    expect(expiring.status).toBe(200);
    expect(await expiring.ended(5_000)).toBe(true);
    expect(await lasting.ended(200)).toBe(false);
  });

  it('caps the streams one user holds open', async () => {
    const h = await start({ maxConnectionsPerUser: 2 });
    await h.connect('1');
    await h.connect('1');
    const third = await fetch(h.url, { headers: { authorization: 'Bearer user-1' } });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('too_many_streams');
    expect((await h.connect('2')).status).toBe(200);
  });

  it('drops a client that stops reading, without holding back the others', async () => {
    const h = await start({ maxQueuedEvents: 5, maxPendingBytes: 64 * 1024 });
    const stalled = await stalledClient(h.port, '/api/v1/stream', { authorization: 'Bearer user-1' });
    expect(stalled.head).toMatch(/^HTTP\/1\.1 200/);
    const healthy = await h.connect('1');
    const padding = 'x'.repeat(8 * 1024);
    const total = 3_000;
    for (let i = 0; i < total; i++) {
      await publishToUser(h.pubsub, '1', { type: 'notification', data: { id: `n${i}`, padding } });
      // Paced to what a reading client takes: a burst beyond the bound would (rightly) drop it too.
      if (i % 10 === 9) await healthy.waitFor(isEvent('notification', `n${i}`), 5_000);
    }
    await healthy.waitFor(isEvent('notification', `n${total - 1}`), 5_000);
    expect(healthy.events()).toHaveLength(total);
    expect(await waitFor(() => h.stream.stats().dropped === 1)).toBe(true);
    expect(h.stream.stats().connections).toBe(1);
    // Once it reads again it finds its stream cut short, not all 24 MB kept for it.
    const { text, ended } = await stalled.drain();
    expect(ended).toBe(true);
    expect(text.split('event: notification').length - 1).toBeLessThan(total);
  });

  it('closes open streams on shutdown instead of waiting for them, even one that does not read', async () => {
    const h = await start();
    const a = await h.connect('1');
    const b = await h.connect('2');
    const stalled = await stalledClient(h.port, '/api/v1/stream', { authorization: 'Bearer user-3' });
    await waitFor(() => h.stream.stats().connections === 3);
    const started = Date.now();
    await h.app.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await a.ended(2_000)).toBe(true);
    expect(await b.ended(2_000)).toBe(true);
    expect((await stalled.drain(2_000)).ended).toBe(true);
    expect(h.stream.stats()).toMatchObject({ connections: 0, users: 0 });
  });
});
