import { afterEach, describe, expect, it } from 'vitest';
import type { PubSubPort } from './pubsub.port.js';

/** How the contract reaches an adapter. */
export interface PubSubContractFactory {
  /**
   * A new instance on `bus`: instances opened with the same bus name share messages (as the
   * processes of one deployment do), instances on different buses never do. The suite closes them.
   */
  open(bus: string): Promise<PubSubPort>;
}

let serial = 0;
/** Names unique to this test run and test, so parallel runs on one Redis never meet. */
const unique = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++serial}`;

/** Collects what a subscription receives and waits, boundedly, for a count to be reached. */
function inbox() {
  const messages: unknown[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    messages,
    handler: (message: unknown) => {
      messages.push(message);
      for (const w of [...waiters]) if (messages.length >= w.n) w.resolve();
    },
    async waitFor(n: number, timeoutMs = 3_000): Promise<unknown[]> {
      if (messages.length < n) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`got ${messages.length} of ${n} messages within ${timeoutMs} ms`)), timeoutMs);
          waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
        });
      }
      return messages;
    },
  };
}

/** The behaviour every pub/sub adapter promises; each adapter's test calls this. */
export function runPubSubContract(name: string, factory: PubSubContractFactory): void {
  describe(`${name} (pub/sub contract)`, () => {
    const opened: PubSubPort[] = [];
    const open = async (bus: string) => {
      const instance = await factory.open(bus);
      opened.push(instance);
      return instance;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((p) => p.close()));
    });

    it('delivers JSON values to a subscriber of another instance and to its own', async () => {
      const bus = unique('bus');
      const channel = unique('ch');
      const [a, b] = [await open(bus), await open(bus)];
      const atA = inbox();
      const atB = inbox();
      a.subscribe(channel, atA.handler);
      b.subscribe(channel, atB.handler);
      await Promise.all([a.ready(), b.ready()]);
      const values = [{ id: '123456789012345678901', nested: { list: [1, 'two', null, true] }, text: 'héllo "quoted"\n🙂' }, 0, '', null, [1, 2]];
      for (const v of values) await a.publish(channel, v);
      expect(await atB.waitFor(values.length)).toEqual(values);
      expect(await atA.waitFor(values.length)).toEqual(values);
    });

    it('keeps publish order on a channel and never mixes channels or buses', async () => {
      const bus = unique('bus');
      const [channel, other] = [unique('ch'), unique('other')];
      const [pub, sub, elsewhere] = [await open(bus), await open(bus), await open(unique('bus'))];
      const got = inbox();
      const strayOther = inbox();
      const strayBus = inbox();
      sub.subscribe(channel, got.handler);
      sub.subscribe(`${channel}x`, strayOther.handler);
      elsewhere.subscribe(channel, strayBus.handler);
      await Promise.all([sub.ready(), elsewhere.ready()]);
      for (let i = 0; i < 200; i++) {
        await pub.publish(i % 10 === 0 ? other : channel, i);
      }
      const expected = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 10 !== 0);
      expect(await got.waitFor(expected.length)).toEqual(expected);
      // Messages to a subscribed channel after the others: when it arrives, strays would have too.
      await pub.publish(`${channel}x`, 'sentinel');
      expect(await strayOther.waitFor(1)).toEqual(['sentinel']);
      expect(strayBus.messages).toEqual([]);
      expect(got.messages).toHaveLength(expected.length);
    });

    it('delivers to every handler, stops one on unsubscribe (twice is harmless) and keeps the others', async () => {
      const bus = unique('bus');
      const channel = unique('ch');
      const [pub, sub] = [await open(bus), await open(bus)];
      const first = inbox();
      const second = inbox();
      const stopFirst = sub.subscribe(channel, first.handler);
      sub.subscribe(channel, second.handler);
      await sub.ready();
      await pub.publish(channel, 1);
      await first.waitFor(1);
      await second.waitFor(1);
      stopFirst();
      stopFirst();
      await sub.ready();
      await pub.publish(channel, 2);
      expect(await second.waitFor(2)).toEqual([1, 2]);
      expect(first.messages).toEqual([1]);
    });

    it('subscribes the same function twice as two subscriptions', async () => {
      const bus = unique('bus');
      const channel = unique('ch');
      const [pub, sub] = [await open(bus), await open(bus)];
      const got = inbox();
      const stop = sub.subscribe(channel, got.handler);
      sub.subscribe(channel, got.handler);
      await sub.ready();
      await pub.publish(channel, 'a');
      expect(await got.waitFor(2)).toEqual(['a', 'a']);
      stop();
      await sub.ready();
      await pub.publish(channel, 'b');
      expect(await got.waitFor(3)).toEqual(['a', 'a', 'b']);
    });

    it('stops delivering once the last handler of a channel is gone, and resumes on a new subscribe', async () => {
      const bus = unique('bus');
      const [channel, control] = [unique('ch'), unique('control')];
      const [pub, sub] = [await open(bus), await open(bus)];
      const got = inbox();
      const controlled = inbox();
      sub.subscribe(control, controlled.handler);
      sub.subscribe(channel, got.handler)();
      await sub.ready();
      await pub.publish(channel, 'unheard');
      await pub.publish(control, 'after');
      await controlled.waitFor(1);
      expect(got.messages).toEqual([]);
      sub.subscribe(channel, got.handler);
      await sub.ready();
      await pub.publish(channel, 'heard');
      expect(await got.waitFor(1)).toEqual(['heard']);
    });

    it('isolates a handler that throws', async () => {
      const bus = unique('bus');
      const channel = unique('ch');
      const [pub, sub] = [await open(bus), await open(bus)];
      const got = inbox();
      sub.subscribe(channel, () => {
        throw new Error('handler bug');
      });
      sub.subscribe(channel, got.handler);
      await sub.ready();
      await pub.publish(channel, 1);
      await pub.publish(channel, 2);
      expect(await got.waitFor(2)).toEqual([1, 2]);
    });

    it('rejects what is not JSON-serialisable', async () => {
      const pub = await open(unique('bus'));
      await expect(pub.publish(unique('ch'), undefined)).rejects.toThrow();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(pub.publish(unique('ch'), cyclic)).rejects.toThrow();
    });

    it('answers ping; once closed, delivers nothing more and refuses to publish', async () => {
      const bus = unique('bus');
      const [channel, control] = [unique('ch'), unique('control')];
      const [pub, sub, witness] = [await open(bus), await open(bus), await open(bus)];
      await expect(pub.ping()).resolves.toBeUndefined();
      const got = inbox();
      const seen = inbox();
      sub.subscribe(channel, got.handler);
      witness.subscribe(control, seen.handler);
      await Promise.all([sub.ready(), witness.ready()]);
      await sub.close();
      await sub.close();
      await pub.publish(channel, 'after close');
      await pub.publish(control, 'sentinel');
      await seen.waitFor(1);
      expect(got.messages).toEqual([]);
      await expect(sub.publish(channel, 'x')).rejects.toThrow();
      await expect(sub.ping()).rejects.toThrow();
    });
  });
}
