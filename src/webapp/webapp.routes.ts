import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { ServiceUnavailableError } from '../shared/errors/index.js';

/** Where `npm run build` puts the web app (web/, built by Vite): the same from src/ and dist/. */
export const WEB_DIR = fileURLToPath(new URL('../../dist/public/', import.meta.url));

/**
 * The single-page app's paths, as web/src/app.tsx routes them. Each first segment is a reserved
 * word (src/modules/links/alias-policy.ts), so no short code can take it.
 */
export const PAGES = ['/', '/login', '/signup', '/links', '/links/:code', '/home', '/u/:username', '/search', '/notifications', '/chat', '/chat/:id', '/console'];

/**
 * The web app: `/assets/*` under content-hashed names, cached by browsers and CDNs for a year
 * (`immutable`: a new build has new names); the page itself (`index.html`) is revalidated on every
 * load, so a deploy shows at once. Without a build (the server run from source), the pages say so.
 */
export const webappRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, options) => {
  const dir = options.dir ?? WEB_DIR;
  const index = join(dir, 'index.html');
  const html = existsSync(index) ? readFileSync(index) : undefined;
  await app.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/assets/',
    // Absent before the first build: the assets routes then answer 404.
    allowedPath: () => html !== undefined,
    wildcard: true,
    index: false,
    // The build wrote .br and .gz beside each asset: sent as they are to clients that take them.
    preCompressed: true,
    immutable: true,
    maxAge: '365d',
    cacheControl: true,
    etag: true,
    lastModified: false,
    decorateReply: false,
  });
  for (const url of PAGES) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => {
      if (html === undefined) throw new ServiceUnavailableError('The web app is not built: run `npm run build` (npm start does it).');
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    });
  }
};
