import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SseClient, type SseSink } from './sse-client.js';

/** A response whose buffer accepts `room` bytes before `write` says stop, until drained. */
class FakeSink extends EventEmitter implements SseSink {
  written: string[] = [];
  writableLength = 0;
  ended = false;
  destroyed = false;
  constructor(private readonly room: number) {
    super();
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    this.writableLength += Buffer.byteLength(chunk);
    return this.writableLength < this.room;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  drain(): void {
    this.writableLength = 0;
    this.emit('drain');
  }
}

const limits = { maxPendingBytes: 1_000, maxQueuedEvents: 3 };

describe('SseClient', () => {
  it('writes at once while the socket takes data', () => {
    const sink = new FakeSink(10_000);
    const client = new SseClient(sink, limits, () => {});
    expect(client.send('a')).toBe(true);
    expect(client.send('b')).toBe(true);
    expect(sink.written).toEqual(['a', 'b']);
  });

  it('queues while congested and flushes in order on drain', () => {
    const sink = new FakeSink(10);
    const client = new SseClient(sink, limits, () => {});
    client.send('0123456789');
    expect(client.congested).toBe(true);
    client.send('x');
    client.send('y');
    client.heartbeat();
    expect(sink.written).toEqual(['0123456789']);
    sink.drain();
    expect(sink.written).toEqual(['0123456789', 'x', 'y']);
    expect(client.congested).toBe(false);
  });

  it('drops a client whose queue passes its bound, once', () => {
    const sink = new FakeSink(1);
    let drops = 0;
    const client = new SseClient(sink, limits, () => drops++);
    client.send('first');
    for (let i = 0; i < 3; i++) expect(client.send(`q${i}`)).toBe(true);
    expect(client.send('one too many')).toBe(false);
    expect(sink.destroyed).toBe(true);
    expect(client.dropped).toBe(true);
    expect(client.send('after')).toBe(false);
    expect(drops).toBe(1);
  });

  it('drops a client whose buffered bytes pass their bound, even with few events', () => {
    const sink = new FakeSink(1);
    let drops = 0;
    const client = new SseClient(sink, limits, () => drops++);
    client.send('x'.repeat(500));
    expect(client.send('y'.repeat(600))).toBe(false);
    expect(drops).toBe(1);
    const huge = new FakeSink(16);
    const alone = new SseClient(huge, limits, () => drops++);
    expect(alone.send('z'.repeat(2_000))).toBe(false);
    expect(drops).toBe(2);
  });

  it('ends politely when it can, destroys when its buffer cannot be flushed', () => {
    const calm = new FakeSink(10_000);
    new SseClient(calm, limits, () => {}).end();
    expect([calm.ended, calm.destroyed]).toEqual([true, false]);
    const stuck = new FakeSink(1);
    const client = new SseClient(stuck, limits, () => {});
    client.send('x');
    client.end();
    expect([stuck.ended, stuck.destroyed]).toEqual([false, true]);
  });
});
