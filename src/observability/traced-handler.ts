import type { HandlerWrapper } from '../platform/queue/index.js';
import { runWithTraceparent } from './trace-context.js';
import type { Tracing } from './tracing.js';

/**
 * A consumer span per delivery, child of the span that published the message (its traceparent),
 * failed when the handler throws; what the handler publishes in turn continues the trace.
 */
export function tracedHandler(tracing: Tracing): HandlerWrapper {
  if (!tracing.enabled) return (handler) => handler;
  return (handler) => async (message) => {
    const span = tracing.startFrom(`consume ${message.topic}`, 'consumer', message.traceparent ?? undefined)!;
    span.setAttributes({ 'messaging.destination.name': message.topic, 'messaging.message.id': message.id, 'messaging.delivery.attempt': message.attempt });
    let failed = false;
    try {
      await runWithTraceparent(tracing.traceparent(span), () => handler(message));
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      tracing.end(span, failed);
    }
  };
}
