import type { FastifyInstance } from 'fastify';
import { runWithTraceparent } from '../observability/trace-context.js';
import type { Span, Tracing } from '../observability/tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's server span, when tracing is on. */
    span: Span | undefined;
  }
}

/**
 * A server span per request, child of the caller's `traceparent` (the gateway's attempt, or a
 * client's), named by route so that spans group by endpoint, ended with the status. Off: no hooks.
 */
export function registerTracing(app: FastifyInstance, tracing: Tracing): void {
  app.decorateRequest('span', undefined);
  if (!tracing.enabled) return;
  app.addHook('onRequest', (request, _reply, done) => {
    const span = tracing.startFrom(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, 'server', request.headers.traceparent);
    span?.setAttributes({ 'http.request.method': request.method, 'url.path': request.url.split('?', 1)[0]!, 'http.request.id': request.id });
    request.span = span;
    // What the handler starts on the request's behalf (outbox events) continues its trace.
    if (span === undefined) done();
    else runWithTraceparent(tracing.traceparent(span), done);
  });
  // Body parsing resumes from the socket's callbacks, outside that context: enter it again.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.span === undefined) done();
    else runWithTraceparent(tracing.traceparent(request.span), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    const { span } = request;
    if (span !== undefined) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      tracing.end(span, reply.statusCode >= 500);
    }
    done();
  });
}
