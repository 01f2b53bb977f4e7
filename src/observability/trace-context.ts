import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The traceparent of the work in progress (a request being handled, a message being consumed),
 * for code far from the HTTP layer that starts more work on its behalf: the outbox stores it with
 * each event, so the consumer of that event continues the trace. Set only while tracing is on.
 */
const current = new AsyncLocalStorage<string>();

export function runWithTraceparent<T>(traceparent: string, work: () => T): T {
  return current.run(traceparent, work);
}

export function currentTraceparent(): string | undefined {
  return current.getStore();
}
