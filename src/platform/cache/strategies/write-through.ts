import { CacheAside, type CacheAsideOptions, type SourceLoader } from './cache-aside.js';
import { KeyedSerial } from './keyed-serial.js';

export interface WriteThroughOptions<V> extends CacheAsideOptions {
  /** Reads a key the cache does not hold (read-through). */
  load: SourceLoader<V>;
  /** Writes a value to the source of truth. */
  write: (key: string, value: V) => Promise<void>;
}

/**
 * Write-through: a write goes to the source, then to the cache, both before it resolves. The
 * source comes first so that a failed source write leaves the cache as it was.
 *
 * Promise: once `set` resolves, the source and this cache both hold the value, and reads see it
 * (a read that was loading the old value does not overwrite it). Writes to one key through one
 * instance reach the source and the cache in call order, so the two never end up disagreeing.
 * If the cache write fails after the source write, `set` rejects and the key is dropped (best
 * effort) so that the next read loads the new value. Writes to one key from several processes
 * are ordered by nobody: route them through one owner, or rely on the TTL.
 */
export class WriteThrough<V> {
  readonly #aside: CacheAside<V>;
  readonly #load: SourceLoader<V>;
  readonly #write: (key: string, value: V) => Promise<void>;
  readonly #serial = new KeyedSerial();

  constructor(options: WriteThroughOptions<V>) {
    this.#aside = new CacheAside<V>(options);
    this.#load = options.load;
    this.#write = options.write;
  }

  get(key: string): Promise<V | null> {
    return this.#aside.get(key, this.#load);
  }

  /** Writes the source, then the cache; resolves when both hold `value`. */
  set(key: string, value: V): Promise<void> {
    return this.#serial.run(key, async () => {
      await this.#write(key, value);
      try {
        await this.#aside.put(key, value);
      } catch (error) {
        await this.#aside.invalidate(key).catch(() => {});
        throw error;
      }
    });
  }

  ready(): Promise<void> {
    return this.#aside.ready();
  }

  close(): void {
    this.#aside.close();
  }
}
