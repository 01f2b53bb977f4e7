/**
 * Load balancing for the gateway: which API server gets the next request.
 *
 * | policy                 | what it does                                   | nginx / Envoy equivalent                         |
 * |------------------------|------------------------------------------------|--------------------------------------------------|
 * | `round-robin`          | strict rotation, weights ignored               | nginx `upstream` with equal weights / ROUND_ROBIN |
 * | `weighted-round-robin` | smooth weighted round robin (a a b a c a a)    | nginx default `upstream` (weight=)               |
 * | `least-connections`    | P2C on in-flight; weighted: weight/(active+1)  | Envoy LEAST_REQUEST (bias 1); ~ nginx `least_conn` |
 * | `ip-hash`              | a client's /24 (IPv4, whole IPv6) sticks       | nginx `ip_hash`, same arithmetic                 |
 * | `consistent-hash`      | ring of 160 × weight murmur3 points per host   | Envoy RING_HASH; nginx `hash $key consistent`    |
 * | `peak-ewma`            | P2C on latency × (in flight + 1)               | Finagle / linkerd PeakEwma                       |
 *
 * Around every policy: backups only when no primary is available (nginx `backup`); `setHealthy`
 * from the active checker; passive ejection on consecutive errors (Envoy outlier detection,
 * `consecutive_5xx`, growing ejection time, maxEjectionPercent); slow start after recovery (Envoy
 * `slow_start_config`, nginx `slow_start`); a per-host concurrency cap (nginx `max_conns`);
 * `exclude` for retries (nginx `proxy_next_upstream`). Slow start scales weights under the four
 * policies that do not hash; the hash policies keep affinity instead (Envoy too supports slow start
 * for ROUND_ROBIN and LEAST_REQUEST only). `HashRing` stands alone, for database sharding too.
 */
export { Balancer } from './balancer.js';
export type {
  BalancerEvent,
  BalancerOptions,
  BalancerPolicyName,
  Lease,
  PassiveOptions,
  PickRequest,
  UpstreamSpec,
  UpstreamState,
} from './balancer.types.js';
export { HashRing, type HashRingOptions } from './hash-ring.js';
export { murmur3 } from './murmur3.js';
