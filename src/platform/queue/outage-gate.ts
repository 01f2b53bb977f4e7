import type { MessageHandler } from './queue.port.js';

export interface OutageGateOptions {
  /** Answers when every dependency of the handler does; rejects while one is down. */
  ping: () => Promise<void>;
  /**
   * Longest one delivery waits for the dependencies to come back (keep it well inside the queue's
   * visibility timeout, or the message is redelivered meanwhile).
   */
  maxWaitMs: number;
  /** First pause between pings; doubled up to 1 s (default 50 ms). */
  pollMs?: number;
  /** Told when a delivery starts waiting for an outage to end. */
  onWait?: (error: unknown) => void;
}

/**
 * Wraps a handler so that an outage of what it depends on does not spend the message's attempts:
 * when the handler fails and `ping` fails too, the delivery waits (bounded) until the dependencies
 * answer again and runs the handler once more, so a Redis restart pauses consumption instead of
 * dead-lettering every message in flight. A failure while the dependencies answer is the message's
 * own and is thrown at once (the queue retries it with backoff). The handler must be idempotent.
 */
export function outageGate<T>(handler: MessageHandler<T>, options: OutageGateOptions): MessageHandler<T> {
  const { ping, maxWaitMs } = options;
  const firstPause = options.pollMs ?? 50;
  const answers = () => ping().then(
    () => true,
    () => false,
  );
  return async (message) => {
    const deadline = Date.now() + maxWaitMs;
    for (;;) {
      try {
        await handler(message);
        return;
      } catch (error) {
        if (Date.now() >= deadline || (await answers())) throw error;
        options.onWait?.(error);
        let pause = firstPause;
        for (;;) {
          const left = deadline - Date.now();
          if (left <= 0) throw error;
          await new Promise((r) => setTimeout(r, Math.min(pause, left)));
          pause = Math.min(pause * 2, 1_000);
          if (await answers()) break;
        }
      }
    }
  };
}
