import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUserRole } from '../src/modules/accounts/index.js';
import { startTestApp, waitFor, type TestApp } from './helpers/test-app.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * Dead letters for operators over HTTP (the console's replay): only users with the operator role
 * (`blueprint users:role`) list or replay them; a replayed message goes back on its topic.
 */
describe('operators and dead letters', () => {
  let t: TestApp;
  let operator: string;
  let someone: string;

  beforeAll(async () => {
    // One delivery: a message its consumer refuses is dead-lettered at once.
    t = await startTestApp({ QUEUE_MAX_ATTEMPTS: '1', RATE_LIMIT_AUTH: 'off', PASSWORD_HASH_MEMORY_KIB: '8192', PASSWORD_HASH_ITERATIONS: '1' });
    operator = (await signUp(t, 'ops_lead')).token;
    someone = (await signUp(t, 'someone')).token;
    expect(await setUserRole(t.runtime.container.sql, 'Ops_Lead', 'operator')).toBe(true);
    // A name that is not registered gets no role, now or when someone signs up with it later.
    expect(await setUserRole(t.runtime.container.sql, 'not_yet', 'operator')).toBe(false);
    const { queue } = t.runtime.container;
    // Not a click batch: the clicks consumer refuses it.
    await queue.publish('clicks', [{ key: null, payload: { not: 'a click batch' } }]);
    expect(await waitFor(async () => (await queue.stats('clicks')).deadLettered === 1, { timeoutMs: 10_000 })).toBe(true);
  });
  afterAll(async () => {
    await t?.close();
  });

  const call = (method: 'GET' | 'POST', url: string, token?: string, payload?: object) =>
    t.runtime.app.inject({ method, url, headers: token === undefined ? {} : bearer(token), ...(payload === undefined ? {} : { payload }) });

  it('refuses anyone but an operator, and unknown topics', async () => {
    const list = '/api/v1/admin/queues/clicks/dead-letters';
    expect((await call('GET', list)).statusCode).toBe(401);
    const refused = await call('GET', list, someone);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json().code).toBe('not_operator');
    expect((await call('POST', `${list}/replay`, someone)).statusCode).toBe(403);
    const unknown = await call('GET', '/api/v1/admin/queues/nope/dead-letters', operator);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('topic_not_found');
    expect((await call('GET', `${list}?limit=0`, operator)).statusCode).toBe(400);
    expect((await call('POST', `${list}/replay`, operator, { ids: [] })).statusCode).toBe(400);
    const late = (await signUp(t, 'not_yet')).token;
    expect((await call('GET', list, late)).json().code).toBe('not_operator');
    // Finding of issue 17: a bad cursor and an infinite limit were 500s.
    for (const after of ['abc', '-1', '1e5', '99999999999999999999']) expect((await call('GET', `${list}?after=${after}`, operator)).json().code).toBe('cursor_invalid');
    expect((await call('GET', `${list}?limit=Infinity`, operator)).statusCode).toBe(400);
  });

  it('takes a demotion into account at once, and refuses to start with ADMIN_USERS', async () => {
    const list = '/api/v1/admin/queues/clicks/dead-letters';
    await signUp(t, 'temp_ops');
    const temp = (await t.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: 'temp_ops', password: 'correct horse battery staple' } })).json().accessToken as string;
    await setUserRole(t.runtime.container.sql, 'temp_ops', 'operator');
    expect((await call('GET', list, temp)).statusCode).toBe(200);
    await setUserRole(t.runtime.container.sql, 'temp_ops', 'user');
    expect((await call('GET', list, temp)).statusCode).toBe(403);
    await expect(startTestApp({ ADMIN_USERS: 'ops_lead' })).rejects.toThrow(/ADMIN_USERS: removed.*users:role/);
  });

  it('lists a topic\'s dead letters and replays them onto the topic', async () => {
    const listed = await call('GET', '/api/v1/admin/queues/clicks/dead-letters', operator);
    expect(listed.statusCode).toBe(200);
    const body = listed.json() as { items: { id: string; payload: unknown; attempts: number; lastError: string; failedAt: string }[]; nextCursor: string | null };
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ payload: { not: 'a click batch' }, attempts: 1 });
    expect(body.items[0]!.lastError).not.toBe('');
    expect(Number.isNaN(Date.parse(body.items[0]!.failedAt))).toBe(false);
    expect(body.nextCursor).toBeNull();

    const replay = await call('POST', '/api/v1/admin/queues/clicks/dead-letters/replay', operator, { ids: [body.items[0]!.id] });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ replayed: 1 });
    // Back on the topic, refused again by its consumer: dead once more, as a new letter.
    const { queue } = t.runtime.container;
    expect(await waitFor(async () => {
      const again = (await call('GET', '/api/v1/admin/queues/clicks/dead-letters', operator)).json() as { items: { id: string }[] };
      return again.items.length === 1 && again.items[0]!.id !== body.items[0]!.id;
    }, { timeoutMs: 10_000 })).toBe(true);
    expect((await queue.stats('clicks')).deadLettered).toBe(1);
    expect((await call('POST', '/api/v1/admin/queues/clicks/dead-letters/replay', operator)).json()).toEqual({ replayed: 1 });
  });
});
