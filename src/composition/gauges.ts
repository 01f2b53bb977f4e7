import { Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics.js';
import type { QueuePort, QueueStats } from '../platform/queue/index.js';
import type { ReplicatedDatabase } from '../platform/sql/replicas/index.js';
import { METRIC } from '../contracts/metric-names.js';

/* Gauges read at scrape time from the adapters of the composition (their owners know nothing of Prometheus). */

/** Replica lag and state, read at scrape time from the router's last probe. */
export function registerReplicaGauges(metrics: Metrics, replicated: ReplicatedDatabase): void {
  new Gauge({
    name: 'db_replica_lag_seconds',
    help: 'How far each read replica is behind the primary (from WAL positions; an upper bound by one probe interval).',
    labelNames: ['replica'],
    registers: [metrics.registry],
    collect() {
      for (const r of replicated.status().replicas) if (r.lagMs !== undefined) this.set({ replica: r.name }, r.lagMs / 1000);
    },
  });
  new Gauge({
    name: 'db_replica_up',
    help: '1 when reads may go to the replica (reachable, a standby, within the lag bound).',
    labelNames: ['replica'],
    registers: [metrics.registry],
    collect() {
      for (const r of replicated.status().replicas) this.set({ replica: r.name }, r.state === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'db_reads',
    help: 'Routed reads since start: on a replica, on the primary after the caller wrote, on the primary for want of a replica, retried on the primary.',
    labelNames: ['target'],
    registers: [metrics.registry],
    collect() {
      const reads = replicated.status().reads;
      this.set({ target: 'replica' }, reads.replica);
      this.set({ target: 'primary_after_write' }, reads.primaryAfterWrite);
      this.set({ target: 'primary_fallback' }, reads.primaryFallback);
      this.set({ target: 'retried' }, reads.retriedOnPrimary);
    },
  });
}

/** Queue depth and lag, read at scrape time; both gauges share one stats call per topic per scrape. */
export function registerQueueGauges(metrics: Metrics, queue: QueuePort, topics: readonly string[]): void {
  let current: { at: number; stats: Promise<QueueStats[]> } | undefined;
  const read = () => {
    const now = Date.now();
    if (current === undefined || now - current.at > 250) current = { at: now, stats: Promise.all(topics.map((t) => queue.stats(t))) };
    return current.stats;
  };
  new Gauge({
    name: METRIC.queueMessages,
    help: 'Messages per topic and state.',
    labelNames: ['topic', 'state'],
    registers: [metrics.registry],
    async collect() {
      (await read()).forEach((s, i) => {
        const topic = topics[i]!;
        this.set({ topic, state: 'ready' }, s.ready);
        this.set({ topic, state: 'in_flight' }, s.inFlight);
        this.set({ topic, state: 'delayed' }, s.delayed);
        this.set({ topic, state: 'dead' }, s.deadLettered);
      });
    },
  });
  new Gauge({
    name: METRIC.queueLag,
    help: 'Age of the oldest unacknowledged message per topic.',
    labelNames: ['topic'],
    registers: [metrics.registry],
    async collect() {
      (await read()).forEach((s, i) => this.set({ topic: topics[i]! }, s.oldestAgeMs / 1000));
    },
  });
}
