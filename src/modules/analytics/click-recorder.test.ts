import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock/clock.port.js';
import { SnowflakeIdGenerator } from '../../platform/ids/snowflake.id-generator.js';
import type { PublishInput, QueuePort } from '../../platform/queue/index.js';
import { Metrics } from '../../observability/metrics.js';
import { ClickRecorder } from './click-recorder.js';
import { CLICKS_TOPIC, type ClickBatch } from './click.model.js';

/** The queue as the recorder uses it: publishes are kept, refused while `failing`, held while `held` is pending. */
class PublishLog {
  readonly published: ClickBatch[][] = [];
  failing = false;
  held: Promise<void> | undefined;
  attempts = 0;
  readonly port = {
    publish: async (topic: string, messages: readonly PublishInput<ClickBatch>[]) => {
      expect(topic).toBe(CLICKS_TOPIC);
      this.attempts++;
      await this.held;
      if (this.failing) throw new Error('queue down');
      this.published.push(messages.map((m) => m.payload));
    },
  } as unknown as QueuePort;
}

const turn = () => new Promise((r) => setImmediate(r));

function recorder(queue: PublishLog, options: { batchSize: number; bufferLimit: number }) {
  const metrics = new Metrics({ defaultMetrics: false });
  const ids = new SnowflakeIdGenerator(new ManualClock(Date.UTC(2026, 11, 1)), 1);
  // A flush interval far past the test: flushes happen when the test asks (or the buffer is half full).
  return { metrics, clicks: new ClickRecorder(queue.port, ids, metrics, pino({ enabled: false }), { flushIntervalMs: 3_600_000, ...options }) };
}

const click = (i: number) => ({ code: `c${i % 3}`, at: 1_000 + i, ip: `192.0.2.${i % 5}`, userAgent: i % 2 ? 'UA-odd' : 'UA-even', referrer: i % 4 ? undefined : 'https://ref.example/', head: i % 7 === 0 });
const unpack = (b: ClickBatch) => b.code.map((code, i) => ({ code, at: b.at[i], ip: b.ip[i], userAgent: b.uas[b.ua[i]!], referrer: b.refs[b.ref[i]!], head: b.head[i] === 1 }));
const expected = (i: number) => ({ ...click(i), referrer: click(i).referrer ?? '' });

describe('ClickRecorder', () => {
  it('publishes a batch as soon as it is full and the open one on flush: every click once, in order, distinct batch ids', async () => {
    const queue = new PublishLog();
    const { clicks, metrics } = recorder(queue, { batchSize: 4, bufferLimit: 1_000 });
    for (let i = 0; i < 3; i++) clicks.record(click(i));
    await turn();
    expect(queue.published).toEqual([]);
    clicks.record(click(3));
    await turn();
    expect(queue.published.map((p) => p.map((b) => b.code.length))).toEqual([[4]]);
    for (let i = 4; i < 10; i++) clicks.record(click(i));
    await turn();
    expect(clicks.pending).toBe(2);
    await clicks.flush();
    expect(queue.published.map((p) => p.map((b) => b.code.length))).toEqual([[4], [4], [2]]);
    const batches = queue.published.flat();
    expect(new Set(batches.map((b) => b.batch)).size).toBe(3);
    expect(batches.flatMap(unpack)).toEqual(Array.from({ length: 10 }, (_, i) => expected(i)));
    // Repeated user agents and referrers are stored once per batch.
    expect(batches[0]!.uas).toEqual(['UA-even', 'UA-odd']);
    expect(clicks.pending).toBe(0);
    const text = await metrics.render();
    expect(text).toMatch(/^clicks_buffered_total 10$/m);
    expect(text).toMatch(/^clicks_flushed_total 10$/m);
    await clicks.flush();
    expect(queue.published).toHaveLength(3);
  });

  it('sends the batches that filled during a slow publish together, in the next one', async () => {
    const queue = new PublishLog();
    const { clicks } = recorder(queue, { batchSize: 2, bufferLimit: 1_000 });
    let release!: () => void;
    queue.held = new Promise<void>((r) => (release = r));
    for (let i = 0; i < 2; i++) clicks.record(click(i));
    await turn();
    for (let i = 2; i < 9; i++) clicks.record(click(i));
    await turn();
    expect(queue.published).toEqual([]);
    queue.held = undefined;
    release();
    await turn();
    await turn();
    expect(queue.published.map((p) => p.map((b) => b.code.length))).toEqual([[2], [2, 2, 2]]);
    await clicks.flush();
    expect(queue.published.flat().flatMap(unpack)).toEqual(Array.from({ length: 9 }, (_, i) => expected(i)));
  });

  it('cuts long user agents and referrers to their stored length', async () => {
    const queue = new PublishLog();
    const { clicks } = recorder(queue, { batchSize: 10, bufferLimit: 100 });
    clicks.record({ ...click(1), userAgent: 'u'.repeat(5_000), referrer: 'r'.repeat(5_000) });
    await clicks.flush();
    const [batch] = queue.published[0]!;
    expect(batch!.uas[0]).toHaveLength(512);
    expect(batch!.refs[0]).toHaveLength(2048);
  });

  it('flushes early when the buffer is half full', async () => {
    const queue = new PublishLog();
    const { clicks } = recorder(queue, { batchSize: 100, bufferLimit: 20 });
    for (let i = 0; i < 9; i++) clicks.record(click(i));
    await turn();
    expect(queue.published).toEqual([]);
    clicks.record(click(9));
    await clicks.flush();
    expect(queue.published[0]!.flatMap(unpack)).toHaveLength(10);
  });

  it('keeps the clicks of a failed flush for the next one, dropping (and counting) only what exceeds the limit', async () => {
    const queue = new PublishLog();
    const { clicks, metrics } = recorder(queue, { batchSize: 4, bufferLimit: 12 });
    queue.failing = true;
    for (let i = 0; i < 5; i++) clicks.record(click(i));
    await clicks.flush();
    expect(clicks.pending).toBe(5);

    // Later clicks fill the buffer up to its limit; beyond, they are dropped.
    for (let i = 5; i < 14; i++) clicks.record(click(i));
    expect(clicks.pending).toBe(12);
    queue.failing = false;
    await clicks.flush();
    expect(queue.published.flat().flatMap(unpack)).toEqual(Array.from({ length: 12 }, (_, i) => expected(i)));
    expect(await metrics.render()).toMatch(/^clicks_dropped_total 2$/m);
  });

  it('does not retry at once while the queue fails: full batches wait for the next flush', async () => {
    const queue = new PublishLog();
    const { clicks } = recorder(queue, { batchSize: 2, bufferLimit: 100 });
    queue.failing = true;
    for (let i = 0; i < 2; i++) clicks.record(click(i));
    await turn();
    expect(queue.attempts).toBe(1);
    for (let i = 2; i < 8; i++) clicks.record(click(i));
    await turn();
    expect([queue.attempts, clicks.pending]).toEqual([1, 8]);
    queue.failing = false;
    await clicks.flush();
    expect(queue.published.flat().flatMap(unpack)).toEqual(Array.from({ length: 8 }, (_, i) => expected(i)));
    // Healthy again: a full batch goes at once.
    for (let i = 8; i < 10; i++) clicks.record(click(i));
    await turn();
    expect(queue.attempts).toBe(3);
  });

  it('drops clicks recorded after close, and flushes what it held on close', async () => {
    const queue = new PublishLog();
    const { clicks } = recorder(queue, { batchSize: 4, bufferLimit: 100 });
    clicks.record(click(0));
    await clicks.close();
    clicks.record(click(1));
    expect(queue.published.flat().flatMap(unpack)).toEqual([expected(0)]);
    expect(clicks.pending).toBe(0);
  });
});
