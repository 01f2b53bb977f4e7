import { resolveOptions, resolveSpecs, type ResolvedOptions } from './balancer.options.js';
import type { BalancerEvent, BalancerOptions, Lease, PickRequest, UpstreamSpec, UpstreamState } from './balancer.types.js';
import { BalancerLease, type Release } from './lease.js';
import { decayedEjections, ejectionMs, mayEject } from './outlier.js';
import { policies, type PickContext, type Policy } from './policies/index.js';
import { Upstream } from './upstream.js';

/** Primaries or backups: the hosts of the tier and its own policy instance. */
class Tier {
  members: Upstream[] = [];
  constructor(readonly policy: Policy) {}

  rebuild(members: Upstream[]): void {
    this.members = members;
    this.policy.rebuild(members, members.filter((h) => h.routable));
  }
}

/** The one PickContext of a balancer, refilled on every pick rather than allocated. */
class Context implements PickContext {
  now = 0;
  key: string | undefined = undefined;
  exclude: ReadonlySet<string> | undefined = undefined;
  unfiltered = true;
  slowStarting = false;

  constructor(
    readonly random: () => number,
    readonly ewmaDecayMs: number,
    readonly maxConcurrent: number,
    readonly slowStartMs: number,
  ) {}

  usable(host: Upstream): boolean {
    return host.routable && host.inFlight < this.maxConcurrent && (this.exclude === undefined || !this.exclude.has(host.id));
  }

  weightOf(host: Upstream): number {
    return this.slowStarting ? host.weight * host.slowStartFactor(this.now, this.slowStartMs) : host.weight;
  }
}

/**
 * Picks an upstream per request and keeps what the choice depends on: health from the active
 * checker, ejections from the outcomes of leases, in-flight counts, latencies and slow start.
 * Everything a policy walks is precomputed on membership and health changes; a pick reads the
 * clock once and allocates only its lease. Single-threaded by design, like the event loop it
 * serves: one balancer per process, no locks.
 */
export class Balancer {
  readonly #o: ResolvedOptions;
  readonly #ctx: Context;
  readonly #primaries: Tier;
  readonly #backups: Tier;
  #hosts = new Map<string, Upstream>();
  #nextReadmitAt = Infinity;
  #slowStartUntil = -Infinity;
  /** Hosts at maxConcurrent: while none is, P2C needs no scan. */
  #atLimit = 0;
  readonly #release: Release = (host, outcome, pickedAt) => this.#settle(host, outcome, pickedAt);

  /** Throws a RangeError on an unknown policy, a bad option, an empty or duplicate id, or a weight outside 1..1000. */
  constructor(upstreams: UpstreamSpec[], options: BalancerOptions) {
    this.#o = resolveOptions(options);
    const o = this.#o;
    this.#ctx = new Context(o.random, o.ewmaDecayMs, o.maxConcurrent, o.slowStartMs);
    this.#primaries = new Tier(policies[o.policy](o));
    this.#backups = new Tier(policies[o.policy](o));
    for (const spec of resolveSpecs(upstreams)) this.#hosts.set(spec.id, new Upstream(spec.id, spec.weight, spec.backup));
    this.#rebuild();
  }

  /**
   * A lease on an available host (healthy, not ejected, below maxConcurrent, not excluded): a
   * primary when one is available, else a backup; undefined when there is none. The caller must
   * call done() on the lease when the request ends, whatever the outcome.
   */
  pick(request?: PickRequest): Lease | undefined {
    const now = this.#o.clock.now();
    if (now >= this.#nextReadmitAt) this.#readmit(now);
    const ctx = this.#ctx;
    const exclude = request?.exclude;
    ctx.now = now;
    ctx.key = request?.key;
    ctx.exclude = exclude !== undefined && exclude.size > 0 ? exclude : undefined;
    ctx.unfiltered = ctx.exclude === undefined && this.#atLimit === 0;
    ctx.slowStarting = now < this.#slowStartUntil;
    const host = this.#primaries.policy.pick(ctx) ?? this.#backups.policy.pick(ctx);
    // Not kept past the pick: the context must not hold on to a request's objects.
    ctx.key = undefined;
    ctx.exclude = undefined;
    if (host === undefined) return undefined;
    host.picks++;
    if (++host.inFlight === this.#o.maxConcurrent) this.#atLimit++;
    return new BalancerLease(host, now, this.#release);
  }

  /**
   * Reports the active health checker's verdict. A host turning healthy starts slow start (unless
   * still ejected: it starts on readmission). Unknown ids are ignored: the checker may report on a
   * host that service discovery has just removed.
   */
  setHealthy(id: string, healthy: boolean): void {
    const host = this.#hosts.get(id);
    if (host === undefined || host.healthy === healthy) return;
    const now = this.#o.clock.now();
    host.healthy = healthy;
    this.#refreshRoutable(host, now);
    this.#rebuild();
    this.#emit({ type: healthy ? 'healthy' : 'unhealthy', id, at: now });
  }

  /**
   * Replaces the membership (service discovery). Hosts that stay keep their state (in-flight
   * leases, health, ejection, latency) and take the new weight and backup flag; new hosts start
   * healthy and in slow start; leases on removed hosts may still be settled, to no effect.
   * Validates like the constructor, changing nothing when it throws.
   */
  update(upstreams: UpstreamSpec[]): void {
    const specs = resolveSpecs(upstreams);
    const now = this.#o.clock.now();
    const next = new Map<string, Upstream>();
    for (const spec of specs) {
      let host = this.#hosts.get(spec.id);
      if (host === undefined) {
        host = new Upstream(spec.id, spec.weight, spec.backup);
        this.#startSlowStart(host, now);
      } else if (host.backup !== spec.backup) {
        host.currentWeight = 0;
      }
      host.weight = spec.weight;
      host.backup = spec.backup;
      next.set(spec.id, host);
    }
    for (const [id, host] of this.#hosts) if (!next.has(id)) host.member = false;
    this.#hosts = next;
    this.#atLimit = 0;
    this.#nextReadmitAt = Infinity;
    for (const host of next.values()) {
      if (host.inFlight >= this.#o.maxConcurrent) this.#atLimit++;
      if (host.ejectedUntil !== 0) this.#nextReadmitAt = Math.min(this.#nextReadmitAt, host.ejectedUntil);
    }
    this.#rebuild();
  }

  /** Every host's state now, in configuration order. */
  snapshot(): UpstreamState[] {
    const o = this.#o;
    const now = o.clock.now();
    if (now >= this.#nextReadmitAt) this.#readmit(now);
    return Array.from(this.#hosts.values(), (h) => {
      const latency = h.latencyAt(now, o.ewmaDecayMs);
      return {
        id: h.id,
        weight: h.weight,
        backup: h.backup,
        healthy: h.healthy,
        ejectedUntil: h.ejectedUntil === 0 ? undefined : h.ejectedUntil,
        effectiveWeight: h.weight * h.slowStartFactor(now, o.slowStartMs),
        inFlight: h.inFlight,
        ewmaMs: latency < 0 ? undefined : latency,
        consecutiveErrors: h.consecutiveErrors,
        timesEjected: h.timesEjected,
        picks: h.picks,
      };
    });
  }

  #settle(host: Upstream, outcome: { ok: boolean; latencyMs?: number }, pickedAt: number): void {
    const o = this.#o;
    const now = o.clock.now();
    if (host.member && host.inFlight === o.maxConcurrent) this.#atLimit--;
    host.inFlight--;
    const given = outcome.latencyMs;
    const latency = typeof given === 'number' && given >= 0 && Number.isFinite(given) ? given : Math.max(0, now - pickedAt);
    host.observe(latency, now, o.ewmaDecayMs);
    if (!host.member) return;
    if (outcome.ok) {
      host.consecutiveErrors = 0;
      return;
    }
    host.consecutiveErrors++;
    // `>=`, not Envoy's `==`: a host refused ejection by maxEjectionPercent is tried again on its
    // next error, so it goes as soon as another host's return makes room.
    if (o.passive !== undefined && host.ejectedUntil === 0 && host.consecutiveErrors >= o.passive.consecutiveErrors) this.#eject(host, now);
  }

  #eject(host: Upstream, now: number): void {
    const { baseEjectionMs, maxEjectionPercent } = this.#o.passive!;
    const tier = host.backup ? this.#backups : this.#primaries;
    let ejected = 0;
    for (const h of tier.members) if (h.ejectedUntil !== 0) ejected++;
    if (!mayEject(tier.members.length, ejected, maxEjectionPercent)) return;
    host.timesEjected = decayedEjections(host.timesEjected, now - host.readmittedAt, baseEjectionMs) + 1;
    host.ejectedUntil = now + ejectionMs(baseEjectionMs, host.timesEjected);
    this.#nextReadmitAt = Math.min(this.#nextReadmitAt, host.ejectedUntil);
    this.#refreshRoutable(host, now);
    this.#rebuild();
    this.#emit({ type: 'ejected', id: host.id, at: now, until: host.ejectedUntil });
  }

  // Lazily, from pick() and snapshot(): no timer to own or to clear. Dated when the ejection
  // ended rather than when it is noticed, so that a quiet spell does not delay slow start.
  #readmit(now: number): void {
    let next = Infinity;
    const readmitted: BalancerEvent[] = [];
    for (const host of this.#hosts.values()) {
      const at = host.ejectedUntil;
      if (at === 0) continue;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      host.ejectedUntil = 0;
      host.readmittedAt = at;
      host.consecutiveErrors = 0;
      this.#refreshRoutable(host, at);
      readmitted.push({ type: 'readmitted', id: host.id, at });
    }
    this.#nextReadmitAt = next;
    if (readmitted.length === 0) return;
    this.#rebuild();
    for (const event of readmitted) this.#emit(event);
  }

  /** Recomputes `routable`; a host becoming routable starts slow start afresh. */
  #refreshRoutable(host: Upstream, now: number): void {
    const routable = host.healthy && host.ejectedUntil === 0;
    if (routable && !host.routable) {
      host.currentWeight = 0;
      this.#startSlowStart(host, now);
    }
    host.routable = routable;
  }

  #startSlowStart(host: Upstream, now: number): void {
    const window = this.#o.slowStartMs;
    if (window === 0) return;
    host.slowStartFrom = now;
    this.#slowStartUntil = Math.max(this.#slowStartUntil, now + window);
  }

  #rebuild(): void {
    const primaries: Upstream[] = [];
    const backups: Upstream[] = [];
    for (const host of this.#hosts.values()) (host.backup ? backups : primaries).push(host);
    this.#primaries.rebuild(primaries);
    this.#backups.rebuild(backups);
  }

  #emit(event: BalancerEvent): void {
    this.#o.onEvent?.(event);
  }
}
