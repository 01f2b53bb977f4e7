/**
 * The first non-finite number (Infinity, -Infinity, NaN) in a parsed value, as a JSON pointer, or
 * null. JSON.parse reads `1e400` as Infinity and a query string's `limit=Infinity` coerces to it;
 * JSON Schema has no keyword against them, and they must never reach SQL or arithmetic.
 * Iterative: a body may nest thousands of levels deep.
 */
export function nonFiniteNumberAt(value: unknown): string | null {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [item, path] = pending.pop()!;
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return path === '' ? '/' : path;
    } else if (typeof item === 'object' && item !== null) {
      if (Array.isArray(item)) for (let i = 0; i < item.length; i++) pending.push([item[i], `${path}/${i}`]);
      else for (const key of Object.keys(item)) pending.push([(item as Record<string, unknown>)[key], `${path}/${key}`]);
    }
  }
  return null;
}
