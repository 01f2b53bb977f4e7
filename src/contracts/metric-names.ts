/**
 * Names of the metrics the server exports and the web console reads (web/src/console), written
 * once: a rename on one side cannot leave the other reading a series that no longer exists.
 * This folder is shared with the web app: plain values and types only, no Node and no imports.
 */
export const METRIC = {
  requests: 'http_requests_total',
  latency: 'http_request_duration_seconds',
  cache: 'cache_requests_total',
  edgeCache: 'gateway_cache_total',
  queueMessages: 'queue_messages',
  queueLag: 'queue_lag_seconds',
  fanoutDeliveries: 'feed_fanout_deliveries_total',
  fanoutLag: 'feed_fanout_lag_seconds',
  rateLimits: 'ratelimit_decisions_total',
  breaker: 'gateway_breaker_state',
  upstreamHealthy: 'gateway_upstream_healthy',
  upstreamInFlight: 'gateway_upstream_in_flight',
  upstreamRequests: 'gateway_upstream_requests_total',
  retries: 'gateway_retries_total',
} as const;
