import { runBalancerContract } from './balancer.contract.js';
import type { BalancerPolicyName } from './index.js';

const POLICIES: BalancerPolicyName[] = ['round-robin', 'weighted-round-robin', 'least-connections', 'ip-hash', 'consistent-hash', 'peak-ewma'];

for (const policy of POLICIES) runBalancerContract(policy);
