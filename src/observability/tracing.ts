import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export type { Span } from '@opentelemetry/api';

/**
 * Distributed tracing, W3C Trace Context: a request's `traceparent` makes its spans children of the
 * caller's, and each hop passes its own on (gateway -> API -> queue -> worker). Spans are exported
 * over OTLP/HTTP when a collector is configured; without one nothing is recorded and every call is
 * a cheap no-op. Spans are passed explicitly (no async-hooks context), so the request path pays
 * nothing it does not use.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** A span for work that arrived with `traceparent` (a request's headers, a message's), its child when valid. */
  startFrom(name: string, kind: 'server' | 'consumer', traceparent: string | string[] | undefined): Span | undefined;
  /** A span for work done on behalf of `parent` (an upstream attempt, a publish). */
  startChild(name: string, kind: 'client' | 'producer' | 'internal', parent: Span): Span;
  /** The `traceparent` value that makes the receiver's spans children of `span`. */
  traceparent(span: Span): string;
  end(span: Span, error?: boolean): void;
  /** Exports what is pending and stops. */
  close(): Promise<void>;
}

const KINDS = { server: SpanKind.SERVER, consumer: SpanKind.CONSUMER, client: SpanKind.CLIENT, producer: SpanKind.PRODUCER, internal: SpanKind.INTERNAL } as const;

export const disabledTracing: Tracing = {
  enabled: false,
  startFrom: () => undefined,
  startChild: () => trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
  traceparent: () => '',
  end: () => {},
  close: async () => {},
};

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP endpoint of a collector (OTEL_EXPORTER_OTLP_ENDPOINT); spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string | undefined;
  /** Where spans go instead (tests: an in-memory exporter); exported as they end. */
  exporter?: SpanExporter | undefined;
}

/** Tracing as configured: on with a collector or an exporter, otherwise `disabledTracing`. */
export function createTracing(options: TracingOptions): Tracing {
  const exporter = options.exporter ?? (options.otlpEndpoint === undefined ? undefined : new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` }));
  if (exporter === undefined) return disabledTracing;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [options.exporter === undefined ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter)],
  });
  const tracer: Tracer = provider.getTracer('blueprint');
  const propagator = new W3CTraceContextPropagator();
  return {
    enabled: true,
    startFrom(name, kind, traceparent) {
      const value = Array.isArray(traceparent) ? traceparent[0] : traceparent;
      const parent = value === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, { traceparent: value }, defaultTextMapGetter);
      return tracer.startSpan(name, { kind: KINDS[kind] }, parent);
    },
    startChild(name, kind, parent) {
      return tracer.startSpan(name, { kind: KINDS[kind] }, trace.setSpan(ROOT_CONTEXT, parent));
    },
    traceparent(span) {
      const carrier: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, { set: (c, k, v) => ((c as Record<string, string>)[k] = v) });
      return carrier.traceparent ?? '';
    },
    end(span, error = false) {
      if (error) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
    close: () => provider.shutdown(),
  };
}

/** The trace id a log line should carry for a span (undefined without tracing). */
export function traceIdOf(span: Span | undefined): string | undefined {
  return span?.spanContext().traceId;
}

