import type { PubSubHandler } from './pubsub.port.js';

/** One subscription; an object, so that one function subscribed twice is two subscriptions. */
interface Entry {
  readonly handler: PubSubHandler;
}

/**
 * The handlers of each channel, as both adapters keep them: an adapter subscribes to a channel on
 * the bus when its first handler arrives and unsubscribes when its last one leaves.
 */
export class HandlerSet {
  readonly #byChannel = new Map<string, Set<Entry>>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /**
   * Adds a handler; `first` says whether the channel had none. `remove` says whether this call
   * took the channel's last handler away (false when called again).
   */
  add(channel: string, handler: PubSubHandler): { first: boolean; remove: () => boolean } {
    let entries = this.#byChannel.get(channel);
    const first = entries === undefined;
    if (entries === undefined) this.#byChannel.set(channel, (entries = new Set()));
    const entry: Entry = { handler };
    entries.add(entry);
    let removed = false;
    return {
      first,
      remove: () => {
        if (removed) return false;
        removed = true;
        const current = this.#byChannel.get(channel);
        if (current === undefined || !current.delete(entry) || current.size > 0) return false;
        this.#byChannel.delete(channel);
        return true;
      },
    };
  }

  has(channel: string): boolean {
    return this.#byChannel.has(channel);
  }

  channels(): string[] {
    return [...this.#byChannel.keys()];
  }

  /** Calls every handler of the channel; one that throws is reported and the others still run. */
  dispatch(channel: string, message: unknown): void {
    const entries = this.#byChannel.get(channel);
    if (entries === undefined) return;
    // A copy: a handler may unsubscribe (itself or others) while the message is being delivered.
    for (const entry of [...entries]) {
      try {
        entry.handler(message);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  clear(): void {
    this.#byChannel.clear();
  }
}
