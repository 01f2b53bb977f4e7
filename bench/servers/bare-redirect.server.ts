import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { securityHeaders } from '../../src/http/security-headers.js';
import { CreateLinkBody } from '../../src/modules/links/links.schemas.js';

/**
 * The baseline: a bare Fastify route answering 301 from a Map, no logging, no metrics, no
 * analytics; and a POST storing into the Map after validating Blueprint's link body schema.
 * Reads `[code, url][]` from the JSON file named in argv[2]; prints its port.
 *
 * With `--carry` (argv[3]), the redirect carries what Blueprint's must: a 302 (so that every click
 * comes back) with the same security headers and cache-control, and the click kept in memory (the
 * array is dropped every second, as a flush would hand it on). The gap to this one is Blueprint's
 * own code; the gap between the two baselines is what such a redirect costs anyone.
 */
const pairs = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as [string, string][];
const carry = process.argv[3] === '--carry';
const links = new Map(pairs);
const app = Fastify({ logger: false });
const headers = securityHeaders({ servedOverTls: false });
let clicks: { code: string; at: number; ip: string; userAgent: string | undefined; referrer: string | undefined }[] = [];
// The plain baseline runs no timer it does not need.
if (carry) setInterval(() => (clicks = []), 1_000).unref();
app.get<{ Params: { code: string } }>('/:code', (request, reply) => {
  const url = links.get(request.params.code);
  if (url === undefined) return reply.code(404).send();
  if (carry) {
    clicks.push({ code: request.params.code, at: Date.now(), ip: request.ip, userAgent: request.headers['user-agent'], referrer: request.headers.referer });
    return reply.code(302).headers(headers).header('location', url).header('cache-control', 'private, no-cache').send();
  }
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
