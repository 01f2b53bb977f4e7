import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { CreateLinkBody } from '../../src/modules/links/links.schemas.js';

/**
 * The baseline: a bare Fastify route answering 301 from a Map, no logging, no metrics, no
 * analytics; and a POST storing into the Map after validating Blueprint's link body schema.
 * Reads `[code, url][]` from the JSON file named in argv[2]; prints its port.
 */
const pairs = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as [string, string][];
const links = new Map(pairs);
const app = Fastify({ logger: false });
app.get<{ Params: { code: string } }>('/:code', (request, reply) => {
  const url = links.get(request.params.code);
  if (url === undefined) return reply.code(404).send();
  return reply.code(301).header('location', url).send();
});
// The same body schema as Blueprint's POST /api/v1/links, validated the same way (ajv).
app.post('/api/v1/links', { schema: { body: CreateLinkBody } }, (request, reply) => {
  const body = request.body as CreateLinkBody;
  const code = (links.size + 1).toString(36);
  links.set(code, body.url);
  return reply.code(201).send({ code, url: body.url });
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ msg: 'listening', address })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
