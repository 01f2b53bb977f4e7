/**
 * Resilience for calls to a pool of upstreams: a circuit breaker, retry delays and a retry
 * budget, and active health checks. All in-process; time comes from an injected Clock except
 * for the health checker, which runs on real timers.
 */
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitBreakerSnapshot, type CircuitState, type Permit } from './circuit-breaker.js';
export { decorrelatedJitter, isIdempotent, type DecorrelatedJitterOptions, type DelaySequence } from './retry.js';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { HealthChecker, type HealthCheckerOptions, type TargetHealth } from './health-checker.js';
