import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FollowerGraph } from './follower-graph.js';

const id = (n: number) => 1n << 40n | BigInt(n);

describe('FollowerGraph', () => {
  it('matches a set of pairs through any sequence of follows and unfollows', () => {
    const op = fc.record({ add: fc.boolean(), a: fc.nat({ max: 11 }), b: fc.nat({ max: 11 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const graph = new FollowerGraph();
        const model = new Set<string>();
        for (const { add, a, b } of ops) {
          const key = `${a}>${b}`;
          const changed = add ? graph.add(id(a), id(b)) : graph.remove(id(a), id(b));
          expect(changed).toBe(add ? !model.has(key) : model.has(key));
          if (add) model.add(key);
          else model.delete(key);
        }
        expect(graph.size).toBe(model.size);
        for (let a = 0; a < 12; a++) {
          const slot = graph.slots.find(id(a));
          const followers = slot < 0 ? [] : [...graph.followersOf(slot)].map((s) => graph.slots.idOf(s)).sort();
          const expected = [...model].filter((k) => k.endsWith(`>${a}`)).map((k) => id(Number(k.split('>')[0]))).sort();
          expect(followers).toEqual(expected);
          expect(graph.followerCount(id(a))).toBe(expected.length);
          const following = slot < 0 ? [] : [...graph.followingOf(slot)];
          expect(following).toEqual([...following].sort((x, y) => x - y));
          expect(following.map((s) => graph.slots.idOf(s)).sort()).toEqual([...model].filter((k) => k.startsWith(`${a}>`)).map((k) => id(Number(k.split('>')[1]))).sort());
          for (let b = 0; b < 12; b++) expect(graph.has(id(a), id(b))).toBe(model.has(`${a}>${b}`));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('counts, per user, the followed users who are pulled, through follows, unfollows and new marks', () => {
    const graph = new FollowerGraph();
    graph.add(id(1), id(2));
    graph.add(id(1), id(3));
    graph.setPulled(id(2));
    const one = graph.slots.find(id(1));
    expect(graph.pulledFollowing(one)).toBe(1);
    graph.setPulled(id(2));
    graph.add(id(4), id(2));
    expect(graph.pulledFollowing(graph.slots.find(id(4)))).toBe(1);
    graph.remove(id(1), id(2));
    expect(graph.pulledFollowing(one)).toBe(0);
    graph.setPulled(id(3));
    expect(graph.pulledFollowing(one)).toBe(1);
  });

  it('keeps the latest read time and the sticky pulled mark per user', () => {
    const graph = new FollowerGraph();
    graph.markRead(id(1), 1_000);
    graph.markRead(id(1), 500);
    const slot = graph.slots.find(id(1));
    expect(graph.lastReadAt(slot)).toBe(1_000);
    expect(graph.lastReadTimes[slot]).toBe(1_000);
    expect(graph.isPulled(slot)).toBe(false);
    graph.setPulled(id(1));
    expect(graph.isPulled(slot)).toBe(true);
    expect(graph.lastReadAt(graph.slots.slotOf(id(2)))).toBe(0);
  });

  it('grows past its first allocation and trims back to what it holds', () => {
    const graph = new FollowerGraph();
    for (let i = 0; i < 3_000; i++) graph.add(id(i), id(5_000));
    for (let i = 0; i < 3_000; i += 2) graph.remove(id(i), id(5_000));
    graph.trim();
    const followers = graph.followersOf(graph.slots.find(id(5_000)));
    expect(followers.length).toBe(1_500);
    expect(new Set(followers).size).toBe(1_500);
    expect(graph.followerCount(id(5_000))).toBe(1_500);
    expect(graph.add(id(1), id(5_000))).toBe(false);
    expect(graph.add(id(0), id(5_000))).toBe(true);
  });
});
