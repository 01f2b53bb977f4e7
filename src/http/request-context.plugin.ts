import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../observability/metrics.js';

export interface AccessLogPolicy {
  mode: 'all' | 'errors' | 'off';
  /** With `errors`, requests slower than this are logged too. */
  slowMs: number;
}

/** Work to do once a response is sent; joins the one onResponse hook instead of adding another. */
export type ResponseObserver = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Per-request plumbing shared by every route: the `X-Request-Id` answer header and the static
 * (security) headers every response carries, the latency
 * histogram and request counter per route, one access-log line per response (as configured), and
 * the observers other plugins add with the returned function.
 */
export function registerRequestContext(
  app: FastifyInstance,
  metrics: Metrics,
  accessLog: AccessLogPolicy,
  staticHeaders: Readonly<Record<string, string>>,
): (observer: ResponseObserver) => void {
  const { mode, slowMs } = accessLog;
  const observers: ResponseObserver[] = [];
  const headers = Object.entries(staticHeaders);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    for (const [name, value] of headers) reply.header(name, value);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched requests share one label so that scanners cannot blow up the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.observeHttp(request.method, route, reply.statusCode, seconds);
    if (mode === 'all' || (mode === 'errors' && (reply.statusCode >= 400 || reply.elapsedTime >= slowMs))) {
      request.log.info({ method: request.method, route, path: request.url.split('?', 1)[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, traceId: request.span?.spanContext().traceId }, 'request');
    }
    for (const observe of observers) observe(request, reply);
    done();
  });
  return (observer) => observers.push(observer);
}
