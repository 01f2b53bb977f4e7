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
      tags: [
        { name: 'links', description: 'Short links and redirects' },
        { name: 'analytics', description: 'Click statistics' },
        { name: 'operations', description: 'Health and metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
