import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster/cluster.js';
import { QUEUE_TOPICS } from '../src/composition/api.js';
import { deleteTrackedQueues, TrackedQueue } from '../src/platform/queue/rabbitmq/testing/rabbitmq-test-kit.js';
import { TEST_DIALECTS, type TestDatabase } from '../src/platform/sql/testing/test-databases.js';
import { ChatSocketClient, type ServerFrame } from './helpers/chat-socket.js';
import { until } from './helpers/poll.js';
import { SERVICES, shouldRun } from './helpers/services.js';
import { tempDataDir } from './helpers/test-app.js';

/**
 * The chat scaled: a gateway and two API processes on PostgreSQL, Redis (presence registry,
 * pub/sub) and RabbitMQ. Sockets held by different processes talk through the registry and one
 * publish per node; an API process SIGKILLed mid-conversation loses nothing: its clients reconnect
 * through the gateway to the other one and resume, resending what was not acknowledged.
 */
const postgres = TEST_DIALECTS.find((d) => d.name === 'postgres')!;
const run = postgres.available && (await shouldRun('redis')) && (await shouldRun('rabbitmq'));

describe.runIf(run)('chat, scaled: two API processes and a gateway', () => {
  let database: TestDatabase;
  let cluster: Cluster;
  const prefix = `bpc${randomBytes(4).toString('hex')}`;
  const users: Record<string, { token: string; id: string }> = {};
  const open: ChatSocketClient[] = [];

  beforeAll(async () => {
    database = await postgres.create();
    cluster = await Cluster.start({
      basePort: 0,
      apis: 2,
      workers: 0,
      dataDir: tempDataDir(),
      restart: false,
      env: {
        DATABASE_URL: SERVICES.postgres,
        DATABASE_SCHEMA: database.address.slice('postgres:'.length),
        REDIS_URL: SERVICES.redis,
        REDIS_PREFIX: `${prefix}:`,
        AMQP_URL: SERVICES.rabbitmq,
        AMQP_PREFIX: prefix,
        PUBLIC_URL: 'http://chat.test',
        PASSWORD_HASH_MEMORY_KIB: '8192',
        ACCESS_LOG: 'off',
        RATE_LIMIT_GLOBAL: 'off',
        RATE_LIMIT_AUTH: 'off',
        CHAT_SEND_RATE_LIMIT: 'off',
        // A killed process's users drop out of the registry quickly (it stops renewing them).
        CHAT_PRESENCE_TTL_MS: '1500',
        GATEWAY_HEALTH_INTERVAL_MS: '200',
        GATEWAY_HEALTH_TIMEOUT_MS: '500',
      },
    });
    for (const name of ['ann', 'ben', 'cat']) {
      const res = await fetch(`${gateway()}/api/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: name, email: `${name}@example.com`, password: 'correct horse battery staple' }) });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { accessToken: string; user: { id: string } };
      users[name] = { token: body.accessToken, id: body.user.id };
    }
  }, 180_000);

  afterAll(async () => {
    for (const c of open) c.ws.terminate();
    await cluster?.stop();
    await database?.dispose();
    TrackedQueue.prefixes.add(prefix);
    for (const topic of QUEUE_TOPICS) TrackedQueue.topics.add(topic);
    await deleteTrackedQueues();
  }, 60_000);

  const gateway = () => cluster.gateway.address!;
  const connect = async (name: string, base: string) => {
    const client = await ChatSocketClient.open(base, users[name]!.token);
    open.push(client);
    return client;
  };
  const group = async (owner: string, members: string[]) => {
    const res = await fetch(`${gateway()}/api/v1/conversations`, { method: 'POST', headers: { authorization: `Bearer ${users[owner]!.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'group', title: `${owner}'s group`, members }) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const created = (client: ChatSocketClient, conversationId: string) => client.of('message.created', conversationId);
  const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('delivers a message sent on one process to members on the other, in one order for everyone', async () => {
    const id = await group('ann', ['ben', 'cat']);
    const [api1, api2] = cluster.apis.map((p) => p.address!) as [string, string];
    const ann = await connect('ann', api1);
    const ben = await connect('ben', api2);
    const cat = await connect('cat', api2);
    for (const s of [ann, ben, cat]) await s.request({ type: 'resume', conversations: { [id]: 0 } });
    // Senders on both processes at once: one counter per conversation, one order on every socket.
    const acks: Promise<ServerFrame>[] = [];
    for (let i = 0; i < 20; i++) {
      acks.push(ann.request({ type: 'send', conversationId: id, clientId: `ann-${i}`, text: `ann ${i}` }));
      acks.push(ben.request({ type: 'send', conversationId: id, clientId: `ben-${i}`, text: `ben ${i}` }));
    }
    const seqs = (await Promise.all(acks)).map((a) => (a.message as { seq: number }).seq);
    expect(new Set(seqs).size).toBe(40);
    for (const s of [ann, ben, cat]) await until(() => s.seqs(id).length >= 40, 'every message on every socket', { timeoutMs: 15_000 });
    for (const s of [ann, ben, cat]) expect(s.seqs(id)).toEqual(upTo(40));
    // Every socket saw the same message at each seq: the one its sender was acknowledged with.
    const bySeq = new Map(created(ann, id).map((f) => [f.seq, (f.message as { clientId: string }).clientId]));
    for (const s of [ben, cat]) expect(new Map(created(s, id).map((f) => [f.seq, (f.message as { clientId: string }).clientId]))).toEqual(bySeq);
    for (const s of [ann, ben, cat]) s.close();
  });

  it('closes the sockets of an API process that stops (SIGTERM) with a going-away code; they reconnect through the gateway to the other and resume', async () => {
    const id = await group('ann', ['ben']);
    const victim = cluster.apis[1]!;
    // Sockets of ben through the gateway until each process holds some (the gateway's metric says where they are).
    const victimHost = new URL(victim.address!).host;
    const openOn = async () => {
      const lines = (await (await fetch(`${gateway()}/metrics`)).text()).split('\n').filter((l) => l.startsWith('gateway_websockets_open{'));
      const on = (mine: boolean) => lines.filter((l) => l.includes(`upstream="${victimHost}"`) === mine).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      return { victim: on(true), other: on(false) };
    };
    const bens: ChatSocketClient[] = [];
    for (let i = 0; i < 8; i++) {
      bens.push(await connect('ben', gateway()));
      const { victim: v, other } = await openOn();
      if (v > 0 && other > 0) break;
    }
    const placed = await openOn();
    expect(placed.victim).toBeGreaterThan(0);
    expect(placed.other).toBeGreaterThan(0);
    for (const s of bens) await s.request({ type: 'resume', conversations: { [id]: 0 } });
    const ann = await connect('ann', cluster.apis[0]!.address!);
    await ann.request({ type: 'send', conversationId: id, clientId: 'before-stop', text: 'before the stop' });
    for (const s of bens) await until(() => s.seqs(id).length === 1, 'the first message on every socket');
    const closes: ({ code: number; reason: string } | undefined)[] = bens.map(() => undefined);
    bens.forEach((s, i) => void s.closed.then((c) => (closes[i] = c)));
    const stopping = victim.kill('SIGTERM');
    // Those on the stopping process are told to go: 1001 from the API, or 1012 from the gateway when it leaves the pool first.
    await until(() => closes.filter((c) => c !== undefined).length === placed.victim, 'the stopping process’s sockets closed', { timeoutMs: 15_000 });
    for (const c of closes.filter((c) => c !== undefined)) expect([1001, 1012]).toContain(c.code);
    await stopping;
    const survivors = bens.filter((_, i) => closes[i] === undefined);
    expect(survivors.length).toBe(placed.other);
    const back = [];
    for (const s of bens.filter((_, i) => closes[i] !== undefined)) {
      const fresh = await connect('ben', gateway());
      await fresh.request({ type: 'resume', conversations: { [id]: s.seqs(id).at(-1) ?? 0 } });
      back.push(fresh);
    }
    await ann.request({ type: 'send', conversationId: id, clientId: 'after-stop', text: 'after the stop' });
    for (const s of [...survivors, ...back]) await until(() => s.seqs(id).at(-1) === 2, 'the second message on every socket');
    for (const s of back) expect(s.seqs(id)).toEqual([2]);
    // The process comes back, and the gateway takes it into the pool again, for the next test.
    await victim.start();
    const upstream = new URL(victim.address!).host.replace(/\./g, '\\.');
    await until(async () => new RegExp(`gateway_upstream_healthy\\{upstream="${upstream}"\\} 1`).test(await (await fetch(`${gateway()}/metrics`)).text()), 'the restarted process back in the pool', { timeoutMs: 20_000, intervalMs: 200 });
  }, 90_000);

  it('loses and doubles nothing when a process is SIGKILLed mid-conversation: its clients reconnect through the gateway and resume', async () => {
    const id = await group('ann', ['ben', 'cat']);
    const [api1, api2] = cluster.apis.map((p) => p.address!) as [string, string];
    const victim = cluster.apis[1]!;
    // ann stays on the surviving process; ben (reading) and cat (writing) are on the one that dies.
    const sockets: Record<string, ChatSocketClient[]> = { ann: [await connect('ann', api1)], ben: [await connect('ben', api2)], cat: [await connect('cat', api2)] };
    for (const [s] of Object.values(sockets)) await s!.request({ type: 'resume', conversations: { [id]: 0 } });
    const current = (name: string) => sockets[name]!.at(-1)!;
    /**
     * What the senders know, as a client does: acknowledged client ids (with their seq), and the
     * ones not acknowledged yet — in flight, or failed (refused as busy, or on a socket that died),
     * which are sent again with the same client id. At most WINDOW sends in flight per sender.
     */
    const WINDOW = 8;
    const acked = new Map<string, number>();
    const unacked = new Map<string, { name: string; text: string; inFlight: boolean }>();
    const errors: string[] = [];
    const inFlight = (name: string) => [...unacked.values()].filter((u) => u.name === name && u.inFlight).length;
    const send = (name: string, clientId: string, text: string) => {
      const entry = { name, text, inFlight: true };
      unacked.set(clientId, entry);
      current(name)
        .request({ type: 'send', conversationId: id, clientId, text }, 5_000)
        .then((ack) => {
          acked.set(clientId, (ack.message as { seq: number }).seq);
          unacked.delete(clientId);
        })
        .catch((err: Error) => {
          errors.push(`${clientId}: ${err.message}`);
          entry.inFlight = false;
        });
    };
    let stop = false;
    let reconnected = false;
    const deadline = Date.now() + 40_000;
    const sender = async (name: string) => {
      let next = 0;
      // Bounded in time, and it stops once told to and everything it sent is acknowledged.
      while (Date.now() < deadline && !(stop && ![...unacked.values()].some((u) => u.name === name))) {
        const socket = current(name);
        if (socket.ws.readyState === socket.ws.OPEN && inFlight(name) < WINDOW) {
          const retry = [...unacked].find(([, u]) => u.name === name && !u.inFlight);
          if (retry !== undefined) send(name, retry[0], retry[1].text);
          else if (!stop) send(name, `${name}-${next}`, `${name} ${next++}`);
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    };
    const senders = [sender('ann'), sender('cat')];
    await until(() => current('ben').seqs(id).length >= 30, 'messages flowing before the kill', { timeoutMs: 10_000 });
    await victim.kill('SIGKILL');
    // The victim's clients see their sockets drop, then reconnect through the gateway and resume from the last seq they saw.
    const reconnect = async (name: string) => {
      const old = current(name);
      await old.closed;
      const last = old.seqs(id).at(-1) ?? 0;
      let fresh: ChatSocketClient | undefined;
      for (let attempt = 0; fresh === undefined && attempt < 50; attempt++) {
        fresh = await connect(name, gateway()).catch(() => undefined);
        if (fresh === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(fresh).toBeDefined();
      sockets[name]!.push(fresh!);
      await fresh!.request({ type: 'resume', conversations: { [id]: last } });
    };
    await Promise.all([reconnect('ben'), reconnect('cat')]);
    reconnected = true;
    const afterReconnect = acked.size;
    await until(() => acked.size >= afterReconnect + 40, 'messages flowing after the reconnection', { timeoutMs: 15_000 });
    stop = true;
    await Promise.all(senders);
    // cat sent again, with the same client ids, what it never saw acknowledged on the socket that died.
    expect(unacked.size, JSON.stringify({ unacked: [...unacked.keys()], errors: errors.slice(-20) })).toBe(0);
    expect(reconnected).toBe(true);
    const total = Math.max(...acked.values());
    expect(new Set(acked.values()).size).toBe(acked.size);
    for (const name of ['ann', 'ben', 'cat']) {
      await until(() => (current(name).seqs(id).at(-1) ?? 0) >= total, `${name} has everything up to seq ${total}`, { timeoutMs: 15_000 });
      // Over the client's sockets in turn: each seq once, in order, none missing...
      const seen = sockets[name]!.flatMap((s) => s.seqs(id));
      expect(seen).toEqual(upTo(total));
      // ...and each acknowledged message exactly once, at the seq its sender was given.
      const byClientId = new Map<string, number[]>();
      for (const f of sockets[name]!.flatMap((s) => created(s, id))) {
        const m = f.message as { clientId: string; seq: number };
        byClientId.set(m.clientId, [...(byClientId.get(m.clientId) ?? []), m.seq]);
      }
      for (const [clientId, seq] of acked) expect(byClientId.get(clientId)).toEqual([seq]);
    }
    expect(sockets.ben!.length).toBe(2);
    expect(acked.size).toBe(total);
  }, 90_000);
});
