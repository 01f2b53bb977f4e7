import { afterEach, describe, expect, it } from 'vitest';
import type { FeedEvent } from '../src/modules/feed/index.js';
import { publishToUser } from '../src/modules/stream/index.js';
import { openSse, stalledClient, type SseBlock, type SseConnection } from '../src/modules/stream/testing/sse-reader.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The live stream through the real runtime, on a real listening server (inject cannot stream).
 * Most tests publish to the user channels directly, as the fan-out and notification consumers do;
 * one goes through the real fan-out.
 */
const running: { t: TestApp; streams: SseConnection[] }[] = [];


async function start(env: Record<string, string> = {}) {
  const t = await startTestApp({ RATE_LIMIT_AUTH: 'off', ...env });
  const entry = { t, streams: [] as SseConnection[] };
  running.push(entry);
  const base = await t.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.runtime.app.server.address() as { port: number };
  return {
    t,
    base,
    port,
    pubsub: t.runtime.container.pubsub,
    stats: () => t.runtime.container.stream!.stats(),
    async open(headers: Record<string, string>, query = '') {
      const s = await openSse(`${base}/api/v1/stream${query}`, headers);
      entry.streams.push(s);
      return s;
    },
  };
}

afterEach(async () => {
  for (const { t, streams } of running.splice(0)) {
    for (const s of streams) s.close();
    await t.close();
  }
});

const event = (type: string, id?: string) => (b: SseBlock) => b.kind === 'event' && b.event === type && (id === undefined || b.data.includes(`"${id}"`));
const dataOf = (b: SseBlock) => (b.kind === 'event' ? JSON.parse(b.data) : null);

describe('GET /api/v1/stream', () => {
  it('streams the user\'s tweets, deletions and notifications, and refuses anonymous requests', async () => {
    const s = await start();
    const [ann, ben] = [await signUp(s.t, 'ann'), await signUp(s.t, 'ben')];
    expect((await fetch(`${s.base}/api/v1/stream`)).status).toBe(401);
    expect((await fetch(`${s.base}/api/v1/stream?access_token=not-a-token`)).status).toBe(401);
    const stream = await s.open(bearer(ann.token));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('x-request-id')).toBeTruthy();
    await publishToUser(s.pubsub, ann.userId, { type: 'tweet', data: { id: '9001', authorId: ben.userId } });
    await publishToUser(s.pubsub, ben.userId, { type: 'tweet', data: { id: 'not-for-ann', authorId: ann.userId } });
    await publishToUser(s.pubsub, ann.userId, { type: 'delete', data: { id: '9001', authorId: ben.userId } });
    const follow: FeedEvent = { type: 'user_followed', followerId: ben.userId, followeeId: ann.userId, at: Date.now() };
    await s.t.runtime.container.queue.publish('feed.notifications', [{ payload: follow }]);
    await stream.waitFor(event('notification'));
    expect(stream.events().map((e) => [e.event, dataOf(e).id ?? null])).toEqual([
      ['tweet', '9001'],
      ['delete', '9001'],
      ['notification', expect.any(String)],
    ]);
  });

  it('carries a followed author\'s new tweet and its deletion from the fan-out, not the author\'s own or a stranger\'s', async () => {
    const s = await start({ PASSWORD_HASH_MEMORY_KIB: '8192' });
    const [ann, ben, cat] = [await signUp(s.t, 'ann'), await signUp(s.t, 'ben'), await signUp(s.t, 'cat')];
    const api = (token: string, method: 'POST' | 'PUT' | 'DELETE', url: string, body?: object) =>
      fetch(`${s.base}${url}`, { method, headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? null : JSON.stringify(body) });
    expect((await api(ann.token, 'PUT', '/api/v1/users/ben/follow')).status).toBe(200);
    // As a client does: read the timeline, then follow it live. (Fan-out skips those who never read.)
    expect((await fetch(`${s.base}/api/v1/timeline/home`, { headers: bearer(ann.token) })).status).toBe(200);
    const annStream = await s.open(bearer(ann.token));
    const benStream = await s.open(bearer(ben.token));
    const stranger = (await (await api(cat.token, 'POST', '/api/v1/tweets', { text: 'nobody follows me' })).json()) as { id: string };
    const posted = (await (await api(ben.token, 'POST', '/api/v1/tweets', { text: 'hello followers' })).json()) as { id: string };
    await annStream.waitFor(event('tweet', posted.id));
    expect((await api(ben.token, 'DELETE', `/api/v1/tweets/${posted.id}`)).status).toBe(204);
    await annStream.waitFor(event('delete', posted.id));
    expect(annStream.events().map((e) => [e.event, dataOf(e)])).toEqual([
      ['tweet', { id: posted.id, authorId: ben.userId }],
      ['delete', { id: posted.id, authorId: ben.userId }],
    ]);
    expect(annStream.events().some(event('tweet', stranger.id))).toBe(false);
    // The author sees their own tweet in their timeline, not as a live event to themselves.
    expect(benStream.events().filter((e) => e.kind === 'event')).toEqual([]);
  });

  it('takes ?access_token= for browsers\' EventSource', async () => {
    const s = await start();
    const ann = await signUp(s.t, 'ann');
    const stream = await s.open({}, `?access_token=${encodeURIComponent(ann.token)}`);
    expect(stream.status).toBe(200);
    await publishToUser(s.pubsub, ann.userId, { type: 'tweet', data: { id: '1', authorId: '2' } });
    await stream.waitFor(event('tweet', '1'));
  });

  it('replays what a reconnecting client missed (Last-Event-ID), and resets one too far behind', async () => {
    const s = await start({ STREAM_REPLAY_EVENTS: '4' });
    const ann = await signUp(s.t, 'ann');
    const first = await s.open(bearer(ann.token));
    await publishToUser(s.pubsub, ann.userId, { type: 'tweet', data: { id: 't1', authorId: '2' } });
    const seen = await first.waitFor(event('tweet', 't1'));
    first.close();
    expect(await waitFor(() => s.stats().connections === 0)).toBe(true);
    await publishToUser(s.pubsub, ann.userId, { type: 'tweet', data: { id: 't2', authorId: '2' } });
    await publishToUser(s.pubsub, ann.userId, { type: 'delete', data: { id: 't1' } });
    // A live client of the same user, to know when both have been logged.
    const witness = await s.open(bearer(ann.token), `?lastEventId=${seen.kind === 'event' ? seen.id : ''}`);
    await witness.waitFor(event('delete', 't1'));
    const back = await s.open({ ...bearer(ann.token), 'last-event-id': seen.kind === 'event' ? seen.id! : '' });
    await back.waitFor(event('delete', 't1'));
    expect(back.events().map((e) => [e.event, dataOf(e).id])).toEqual([['tweet', 't2'], ['delete', 't1']]);
    for (const id of ['t3', 't4', 't5', 't6']) await publishToUser(s.pubsub, ann.userId, { type: 'tweet', data: { id, authorId: '2' } });
    await back.waitFor(event('tweet', 't6'));
    const stale = await s.open({ ...bearer(ann.token), 'last-event-id': seen.kind === 'event' ? seen.id! : '' });
    await stale.waitFor(event('reset'));
    expect(stale.events().filter((e) => e.event !== 'reset')).toEqual([]);
  });

  it('sends heartbeats every STREAM_HEARTBEAT_SECONDS', async () => {
    const s = await start({ STREAM_HEARTBEAT_SECONDS: '1' });
    const ann = await signUp(s.t, 'ann');
    const stream = await s.open(bearer(ann.token));
    // Between two heartbeats, not from the open: the first comes at whatever phase the hub's timer is in.
    const isHeartbeat = (b: SseBlock) => b.kind === 'comment' && b.text === 'heartbeat';
    const first = await stream.waitFor(isHeartbeat, 3_000);
    const started = Date.now();
    await stream.waitFor((b) => isHeartbeat(b) && b !== first, 3_000);
    expect(Date.now() - started).toBeGreaterThan(500);
  });

  it('drops a client that stops reading instead of buffering for it without bound', async () => {
    const s = await start();
    const ann = await signUp(s.t, 'ann');
    const stalled = await stalledClient(s.port, '/api/v1/stream', bearer(ann.token));
    expect(stalled.head).toMatch(/^HTTP\/1\.1 200/);
    const padding = 'x'.repeat(64 * 1024);
    // Far more than the kernel's socket buffers and the 1 MiB / 100 events the server allows.
    for (let i = 0; i < 600 && s.stats().dropped === 0; i++) {
      await publishToUser(s.pubsub, ann.userId, { type: 'notification', data: { id: `n${i}`, padding } });
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    expect(await waitFor(() => s.stats().dropped === 1)).toBe(true);
    expect(s.stats().connections).toBe(0);
    expect((await stalled.drain()).ended).toBe(true);
  });

  it('closes open streams when the runtime shuts down, promptly', async () => {
    const s = await start();
    const [ann, ben] = [await signUp(s.t, 'ann'), await signUp(s.t, 'ben')];
    const a = await s.open(bearer(ann.token));
    const b = await s.open(bearer(ben.token));
    const stalled = await stalledClient(s.port, '/api/v1/stream', bearer(ann.token));
    expect(await waitFor(() => s.stats().connections === 3)).toBe(true);
    const started = Date.now();
    await s.t.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await a.ended(1_000)).toBe(true);
    expect(await b.ended(1_000)).toBe(true);
    expect((await stalled.drain(1_000)).ended).toBe(true);
  });
});
