import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { FencedStore, Lease, LockPort } from './lock.port.js';

/** How the contract reaches an adapter. */
export interface LockContractFactory {
  /**
   * A lock client on `namespace`: clients opened with the same namespace share locks (as the
   * processes of one deployment do), those of different namespaces never meet. The suite closes them.
   */
  openLock(namespace: string): Promise<LockPort>;
  /** A fenced store on `namespace`, shared the same way. The suite closes it. */
  openFencedStore(namespace: string): Promise<FencedStore>;
}

let serial = 0;
/** Names unique to this test run and test, so parallel runs on one server never meet. */
const unique = (what: string) => `${what}-${process.pid}-${Date.now().toString(36)}-${++serial}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries `attempt`, boundedly, until it gives something. */
async function eventually<T>(attempt: () => Promise<T | undefined>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
}

/** The behaviour every lock adapter promises; each adapter's test calls this. */
export function runLockContract(name: string, factory: LockContractFactory): void {
  describe(`${name} (lock contract)`, () => {
    const opened: { close(): Promise<void> }[] = [];
    /** Two clients of one deployment, as two processes would hold them. */
    const twoClients = async (): Promise<[LockPort, LockPort]> => {
      const ns = unique('ns');
      const clients: [LockPort, LockPort] = [await factory.openLock(ns), await factory.openLock(ns)];
      opened.push(...clients);
      return clients;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((o) => o.close()));
    });

    it('grants a free lock, refuses a held one, and grants it again once released', async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      const first = await a.tryAcquire(lock, 60_000);
      expect(first).toMatchObject({ name: lock });
      expect(first!.token).toMatch(/.{16,}/);
      expect(await b.tryAcquire(lock, 60_000)).toBeUndefined();
      expect(await a.tryAcquire(lock, 60_000)).toBeUndefined();
      expect(await a.release(first!)).toBe(true);
      expect(await a.release(first!)).toBe(false);
      const second = await b.tryAcquire(lock, 60_000);
      expect(second).toBeDefined();
      expect(second!.token).not.toBe(first!.token);
      expect(second!.fence).toBeGreaterThan(first!.fence);
    });

    it('keeps locks of different names, and of different deployments, apart', async () => {
      const [a, b] = await twoClients();
      const [other] = await twoClients();
      const lock = unique('lock');
      expect(await a.tryAcquire(lock, 60_000)).toBeDefined();
      expect(await b.tryAcquire(`${lock}x`, 60_000)).toBeDefined();
      expect(await other.tryAcquire(lock, 60_000)).toBeDefined();
    });

    it('hands out strictly increasing fences with every acquisition of a lock, whichever client acquires', async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      const fences: number[] = [];
      for (let i = 0; i < 20; i++) {
        const client = i % 3 === 0 ? b : a;
        const lease = await client.tryAcquire(lock, 60_000);
        expect(lease).toBeDefined();
        expect(Number.isSafeInteger(lease!.fence)).toBe(true);
        fences.push(lease!.fence);
        // Released by the other client half the time: a lease is not tied to the client that took it.
        expect(await (i % 2 === 0 ? a : b).release(lease!)).toBe(true);
      }
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!);
    });

    it('refuses release by a non-owner: a forged token leaves the holder in place', async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      const held = await a.tryAcquire(lock, 60_000);
      expect(await b.release({ ...held!, token: 'not-the-token' })).toBe(false);
      expect(await b.release({ ...held!, name: `${lock}x` })).toBe(false);
      expect(await b.tryAcquire(lock, 60_000)).toBeUndefined();
      expect(await a.release(held!)).toBe(true);
    });

    it('refuses extension by a non-owner, and the lease ends on time all the same', async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      const held = await a.tryAcquire(lock, 200);
      expect(held).toBeDefined();
      expect(await b.extend({ ...held!, token: 'not-the-token' }, 600_000)).toBe(false);
      const next = await eventually(() => b.tryAcquire(lock, 60_000), 'the lease ends despite the forged extension');
      expect(next.fence).toBeGreaterThan(held!.fence);
    });

    it('lets a lease expire; the next holder keeps the lock against the old one, who can neither release nor extend it', async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      const old = await a.tryAcquire(lock, 100);
      expect(old).toBeDefined();
      const current = await eventually(() => b.tryAcquire(lock, 60_000), 'b acquires once a lease ended');
      expect(current.fence).toBeGreaterThan(old!.fence);
      expect(await a.release(old!)).toBe(false);
      expect(await a.extend(old!, 60_000)).toBe(false);
      expect(await a.tryAcquire(lock, 60_000)).toBeUndefined();
      expect(await b.release(current)).toBe(true);
    });

    it('an expired lease that nobody took over cannot be released or extended either', async () => {
      const [a] = await twoClients();
      const lock = unique('lock');
      const old = await a.tryAcquire(lock, 50);
      await sleep(200);
      expect(await a.extend(old!, 60_000)).toBe(false);
      expect(await a.release(old!)).toBe(false);
      expect(await a.tryAcquire(lock, 60_000)).toBeDefined();
    });

    it("extends the owner's lease past its first TTL", async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      const started = Date.now();
      const held = await a.tryAcquire(lock, 1_500);
      expect(await a.extend(held!, 600_000)).toBe(true);
      // The first TTL has passed for certain; the extension holds the lock.
      await sleep(Math.max(0, started + 2_000 - Date.now()));
      expect(await b.tryAcquire(lock, 60_000)).toBeUndefined();
      expect(await a.extend(held!, 600_000)).toBe(true);
      expect(await a.release(held!)).toBe(true);
      const next = await b.tryAcquire(lock, 60_000);
      expect(next!.fence).toBeGreaterThan(held!.fence);
    });

    it('mutual exclusion: of any number of concurrent acquirers on two clients, exactly one wins each round', async () => {
      const [a, b] = await twoClients();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.boolean(), { minLength: 2, maxLength: 24 }), fc.integer({ min: 1, max: 3 }), async (onA, rounds) => {
          const lock = unique('lock');
          let lastFence = 0;
          for (let r = 0; r < rounds; r++) {
            const leases = await Promise.all(onA.map((useA) => (useA ? a : b).tryAcquire(lock, 60_000)));
            const winners = leases.filter((l): l is Lease => l !== undefined);
            expect(winners).toHaveLength(1);
            expect(winners[0]!.fence).toBeGreaterThan(lastFence);
            lastFence = winners[0]!.fence;
            expect(await (r % 2 === 0 ? a : b).release(winners[0]!)).toBe(true);
          }
        }),
        { numRuns: 30 },
      );
    });

    it('critical sections never overlap: 8 workers on two clients contend for one lock', async () => {
      const [a, b] = await twoClients();
      const lock = unique('lock');
      let inside = 0;
      let most = 0;
      const entered: number[] = [];
      const worker = async (client: LockPort) => {
        let done = 0;
        // Bounded: at most 400 attempts or 5 sections per worker.
        for (let attempt = 0; attempt < 400 && done < 5; attempt++) {
          const lease = await client.tryAcquire(lock, 60_000);
          if (lease === undefined) {
            await sleep(Math.random() * 5);
            continue;
          }
          inside++;
          most = Math.max(most, inside);
          entered.push(lease.fence);
          await sleep(1);
          inside--;
          expect(await client.release(lease)).toBe(true);
          done++;
        }
        return done;
      };
      const done = await Promise.all([a, b, a, b, a, b, a, b].map(worker));
      expect(most).toBe(1);
      expect(done.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(8);
      // In the order sections were entered, fences only grow.
      for (let i = 1; i < entered.length; i++) expect(entered[i]).toBeGreaterThan(entered[i - 1]!);
    });

    it('fencing: a paused holder whose lease expired cannot write after the new holder wrote', async () => {
      const [a, b] = await twoClients();
      const fences = await factory.openFencedStore(unique('ns'));
      opened.push(fences);
      const lock = unique('lock');
      const resource = unique('resource');
      const paused = await a.tryAcquire(lock, 100);
      expect(await fences.write(resource, paused!.fence, { by: 'a', n: 1 })).toBe(true);
      // a stops here (a GC pause, say) past its lease; b takes the lock and writes.
      const current = await eventually(() => b.tryAcquire(lock, 60_000), 'b takes over');
      expect(await fences.write(resource, current.fence, { by: 'b', n: 1 })).toBe(true);
      // a resumes, still believing it holds the lock: its write is refused.
      expect(await fences.write(resource, paused!.fence, { by: 'a', n: 2 })).toBe(false);
      expect(await fences.read(resource)).toEqual({ value: { by: 'b', n: 1 }, fence: current.fence });
      // The current holder writes again with the same fence.
      expect(await fences.write(resource, current.fence, { by: 'b', n: 2 })).toBe(true);
      expect(await fences.read(resource)).toEqual({ value: { by: 'b', n: 2 }, fence: current.fence });
    });

    it('fenced store: refuses lower fences, accepts equal and higher, keeps resources apart, round-trips JSON', async () => {
      const ns = unique('ns');
      const [one, two] = [await factory.openFencedStore(ns), await factory.openFencedStore(ns)];
      opened.push(one, two);
      const [r, s] = [unique('r'), unique('s')];
      expect(await one.read(r)).toBeUndefined();
      expect(await one.write(r, 5, 'five')).toBe(true);
      expect(await two.write(r, 4, 'four')).toBe(false);
      expect(await two.write(r, 0, 'zero')).toBe(false);
      expect(await two.write(r, 5, 'five again')).toBe(true);
      expect(await two.write(r, 2 ** 53 - 1, { big: true })).toBe(true);
      expect(await one.write(r, 2 ** 53 - 2, 'just below')).toBe(false);
      expect(await one.read(r)).toEqual({ value: { big: true }, fence: 2 ** 53 - 1 });
      expect(await one.write(s, 0, null)).toBe(true);
      expect(await two.read(s)).toEqual({ value: null, fence: 0 });
      const value = { text: 'héllo "q"\n🙂', list: [1, 'two', null, false], nested: { n: 1.5 } };
      expect(await one.write(s, 1, value)).toBe(true);
      expect(await two.read(s)).toEqual({ value, fence: 1 });
      await expect(one.write(s, 2, undefined)).rejects.toThrow(TypeError);
      for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) await expect(one.write(s, bad, 'x')).rejects.toThrow(RangeError);
      expect(await two.read(s)).toEqual({ value, fence: 1 });
    });

    it('refuses bad names and TTLs', async () => {
      const [a] = await twoClients();
      const lock = unique('lock');
      for (const ttl of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) await expect(a.tryAcquire(lock, ttl)).rejects.toThrow(RangeError);
      await expect(a.tryAcquire('', 1_000)).rejects.toThrow(TypeError);
      const held = await a.tryAcquire(lock, 60_000);
      await expect(a.extend(held!, 0)).rejects.toThrow(RangeError);
      expect(await a.release(held!)).toBe(true);
    });

    it('answers ping', async () => {
      const [a] = await twoClients();
      await expect(a.ping()).resolves.toBeUndefined();
    });
  });
}
