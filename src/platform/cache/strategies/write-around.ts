import { CacheAside, type CacheAsideOptions, type SourceLoader } from './cache-aside.js';

export interface WriteAroundOptions<V> extends CacheAsideOptions {
  load: SourceLoader<V>;
  /** Writes a value to the source of truth. */
  write: (key: string, value: V) => Promise<void>;
}

/**
 * Write-around: writes go to the source and only invalidate the cache; the next read loads and
 * fills. Suits data written far more often than it is read back soon: the cache holds only what
 * was read. Promise: a read that starts after `write` resolves sees the written value (or a later
 * one); a read still loading the old value does not put it back.
 */
export class WriteAround<V> {
  readonly #aside: CacheAside<V>;
  readonly #load: SourceLoader<V>;
  readonly #write: (key: string, value: V) => Promise<void>;

  constructor(options: WriteAroundOptions<V>) {
    this.#aside = new CacheAside<V>(options);
    this.#load = options.load;
    this.#write = options.write;
  }

  get(key: string): Promise<V | null> {
    return this.#aside.get(key, this.#load);
  }

  /** Writes the source, then invalidates; the cache is not filled with the value. */
  write(key: string, value: V): Promise<void> {
    return this.#aside.write(key, () => this.#write(key, value));
  }

  ready(): Promise<void> {
    return this.#aside.ready();
  }

  close(): void {
    this.#aside.close();
  }
}
