import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI 3.1 generated from the route schemas, at `/api/openapi.json`, browsable at `/api/docs`. */
export async function registerOpenApi(app: FastifyInstance, publicUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Blueprint', version: '1', description: 'URL shortener with click analytics, and the building blocks of the system-design canon.' },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An access token (JWT) from /api/v1/auth/login, an API key `bp_...`, or an OAuth access token `bpo_...` from /oauth/token.' },
        },
      },
      tags: [
        { name: 'links', description: 'Short links and redirects' },
        { name: 'analytics', description: 'Click statistics' },
        { name: 'auth', description: 'Accounts, sessions and API keys' },
        { name: 'operations', description: 'Health and metrics' },
        { name: 'oauth', description: 'OAuth 2.0 authorization server for third-party apps' },
        { name: 'mastodon', description: 'Mastodon-compatible client API over the feed' },
      ],
    },
  });
  await app.register(async (docs) => {
    // swagger-ui redirects its static index.html to the docs root by rewriting the URL's end, which
    // a query string defeats (`index.html?x` redirected to itself forever): answered here first.
    docs.addHook('onRequest', async (request, reply) => {
      const q = request.url.indexOf('?');
      if (q !== -1 && request.url.slice(0, q) === '/api/docs/static/index.html') return reply.redirect(`/api/docs/${request.url.slice(q)}`);
    });
    await docs.register(swaggerUi, { routePrefix: '/api/docs' });
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
