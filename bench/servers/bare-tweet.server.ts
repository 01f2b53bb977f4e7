import Fastify from 'fastify';
import { CreateTweetBody, TweetView } from '../../src/modules/feed/feed.schemas.js';

/**
 * The baseline of posting: a bare Fastify route that takes a tweet with the same body and answer
 * schemas as `POST /api/v1/tweets`, keeps it in a Map and answers 201 with the same shape; no
 * authentication, logging, metrics, database or fan-out. Prints its address.
 */
const tweets = new Map<string, object>();
let next = 1n << 60n;
const app = Fastify({ logger: false });
app.post('/api/v1/tweets', { schema: { body: CreateTweetBody, response: { 201: TweetView } } }, async (request, reply) => {
  const id = (next++).toString();
  const tweet = { id, authorId: '1', author: 'bare', text: (request.body as { text: string }).text, createdAt: new Date().toISOString(), likeCount: 0, replyCount: 0, replyTo: null };
  tweets.set(id, tweet);
  if (tweets.size > 100_000) tweets.clear();
  return reply.code(201).send(tweet);
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ msg: 'listening', address })}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
