/** Argument checks shared by every adapter, so that each refuses the same calls with the same errors. */

export function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a lock name must be a non-empty string');
  return name;
}

/** Whole milliseconds, as Redis's PX takes them. */
export function checkTtl(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`a lock TTL must be a positive integer of ms, got ${String(ttlMs)}`);
  return ttlMs;
}

export function checkFence(fence: number): number {
  if (!Number.isSafeInteger(fence) || fence < 0) throw new RangeError(`a fencing token must be a non-negative safe integer, got ${String(fence)}`);
  return fence;
}

/** The JSON text of a value to store; undefined and what JSON cannot write are refused. */
export function jsonOf(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('a fenced value must be JSON-serialisable');
  return json;
}
