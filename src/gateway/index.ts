export { buildGatewayApp, type GatewayAppOptions } from './gateway.app.js';
export { UpstreamPool, UpstreamUnavailableError, type UpstreamPoolOptions, type ForwardRequest, type ResponseSink } from './upstream-pool.js';
export { ResponseCache } from './response-cache.js';
export { startGateway, API_SERVICE, type Gateway } from './gateway.runtime.js';
