import type { BalancerPolicyName } from '../balancer.types.js';
import { ConsistentHashPolicy } from './consistent-hash.policy.js';
import { IpHashPolicy } from './ip-hash.policy.js';
import { LeastConnectionsPolicy } from './least-connections.policy.js';
import { PeakEwmaPolicy } from './peak-ewma.policy.js';
import type { Policy } from './policy.js';
import { RoundRobinPolicy } from './round-robin.policy.js';
import { WeightedRoundRobinPolicy } from './weighted-round-robin.policy.js';

export type { PickContext, Policy } from './policy.js';

/** Builds one tier's policy. */
export const policies: { readonly [P in BalancerPolicyName]: (o: { vnodes: number }) => Policy } = {
  'round-robin': () => new RoundRobinPolicy(),
  'weighted-round-robin': () => new WeightedRoundRobinPolicy(),
  'least-connections': () => new LeastConnectionsPolicy(),
  'ip-hash': () => new IpHashPolicy(),
  'consistent-hash': (o) => new ConsistentHashPolicy(o.vnodes),
  'peak-ewma': () => new PeakEwmaPolicy(),
};
