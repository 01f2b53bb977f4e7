import { describe, expect, it } from 'vitest';
import { WriteGate, type WriteTicket } from './write-gate.js';

function enter(gate: WriteGate, key: string): WriteTicket {
  const entered = gate.tryEnter(key);
  if ('wait' in entered) throw new Error(`${key} is fenced`);
  return entered;
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('WriteGate', () => {
  it('drains only the matching writes in flight when asked, not those that enter later', async () => {
    const gate = new WriteGate();
    const a = enter(gate, 'a');
    const b = enter(gate, 'b');
    const drained = gate.drain((t) => t.key !== 'b');
    const later = enter(gate, 'a');
    expect(await settled(drained)).toBe(false);
    gate.leave(b);
    expect(await settled(drained)).toBe(false);
    gate.leave(a);
    expect(await settled(drained)).toBe(true);
    expect(gate.inflight).toBe(1);
    gate.leave(later);
    gate.leave(later);
    expect(gate.inflight).toBe(0);
    expect(await settled(gate.drain(() => true))).toBe(true);
  });

  it('tags writes with the epoch they entered in', () => {
    const gate = new WriteGate();
    const before = enter(gate, 'k');
    const epoch = gate.mark();
    const after = enter(gate, 'k');
    expect(before.epoch).toBeLessThan(epoch);
    expect(after.epoch).toBe(epoch);
  });

  it('fences some keys: holds back their new writes, drains theirs in flight, lets the others pass', async () => {
    const gate = new WriteGate();
    const inflight = enter(gate, 'moving');
    const fence = gate.fence((key) => key === 'moving');
    const held = gate.tryEnter('moving');
    expect('wait' in held).toBe(true);
    gate.leave(enter(gate, 'other'));
    expect(await settled(fence.drained)).toBe(false);
    gate.leave(inflight);
    expect(await settled(fence.drained)).toBe(true);
    expect(() => gate.fence(() => true)).toThrow(/already up/);
    fence.lift();
    expect(await settled((held as { wait: Promise<void> }).wait)).toBe(true);
    expect('wait' in gate.tryEnter('moving')).toBe(false);
  });
});
