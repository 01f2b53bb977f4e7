import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

/**
 * The baseline of the timeline reads: bare Fastify routes answering a home-timeline page (JSON read
 * from the file named in argv[2], a real answer of the Blueprint server) and a user's tweets (argv[3],
 * else the same page), serialized on every request, no authentication, logging, metrics or database.
 * Prints its address.
 */
const page = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as unknown;
const authorPage = process.argv[3] === undefined ? page : (JSON.parse(readFileSync(process.argv[3], 'utf8')) as unknown);
const app = Fastify({ logger: false });
app.get('/api/v1/timeline/home', async () => page);
app.get('/api/v1/users/:username/tweets', async () => authorPage);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ msg: 'listening', address })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
