import { checkFence, jsonOf } from '../lock.checks.js';
import type { FencedStore, FencedValue } from '../lock.port.js';

/**
 * The embedded fenced resource: per resource, the JSON text of the last accepted write and its
 * fence. JSON, as Redis stores it, so that both hand back equal copies (never the caller's object).
 */
export class MemoryFencedStore implements FencedStore {
  readonly #resources = new Map<string, { json: string; fence: number }>();

  async write<T>(resource: string, fence: number, value: T): Promise<boolean> {
    checkFence(fence);
    const json = jsonOf(value);
    const current = this.#resources.get(resource);
    if (current !== undefined && current.fence > fence) return false;
    this.#resources.set(resource, { json, fence });
    return true;
  }

  async read<T>(resource: string): Promise<FencedValue<T> | undefined> {
    const current = this.#resources.get(resource);
    return current === undefined ? undefined : { value: JSON.parse(current.json) as T, fence: current.fence };
  }

  async close(): Promise<void> {}
}
