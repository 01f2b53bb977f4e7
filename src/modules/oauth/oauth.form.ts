import type { FastifyInstance } from 'fastify';

/**
 * Parses `application/x-www-form-urlencoded` bodies in the caller's scope (OAuth requests are forms;
 * Mastodon clients send forms or JSON). A repeated key, or one written `key[]`, becomes an array.
 */
export function acceptForms(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const out: Record<string, string | string[]> = {};
    for (const [rawKey, value] of new URLSearchParams(body as string)) {
      const list = rawKey.endsWith('[]');
      const key = list ? rawKey.slice(0, -2) : rawKey;
      const known = out[key];
      if (known === undefined) out[key] = list ? [value] : value;
      else out[key] = Array.isArray(known) ? [...known, value] : [known, value];
    }
    done(null, out);
  });
}
