import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError, ValidationError } from '../../shared/errors/index.js';
import type { Clock } from '../../platform/clock/index.js';
import { actorOf, requireScope, viewerOf } from './mastodon.auth.js';
import type { MastodonRoutesDeps } from './mastodon.accounts.routes.js';
import type { IdempotencyKeys } from './mastodon.idempotency.js';
import { CreateStatusBody, IdParams } from './mastodon.schemas.js';

const tags = ['mastodon'];
const security = [{ bearer: [] }];
/** Ancestors and descendants shown in a thread at most. */
const CONTEXT_LIMIT = 60;
const SWEEP_EVERY_MS = 10 * 60_000;

/** Mastodon's answer to what an instance does not have (here: media, polls, boosts, other visibilities). */
const unsupported = (what: string) => new AppError('unprocessable', 422, `${what} are not supported on this server`, { extensions: { error: `Validation failed: ${what} are not supported on this server` } });

/** `/api/v1/statuses*`: post (with Idempotency-Key), read, delete, thread, favourite. */
export function statusesRoutes(deps: MastodonRoutesDeps & { idempotency: IdempotencyKeys; clock: Clock }) {
  const { feed, views, idempotency, clock } = deps;
  let sweptAt = 0;
  return async (fastify: FastifyInstance): Promise<void> => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post('/api/v1/statuses', { schema: { tags, security, summary: 'Post a status (Mastodon); Idempotency-Key makes a retry safe', body: CreateStatusBody } }, async (request) => {
      const principal = requireScope(request, 'write:statuses');
      const body = request.body;
      if ((body.media_ids?.length ?? 0) > 0) throw unsupported('Media attachments');
      if (body.poll !== undefined && body.poll !== null) throw unsupported('Polls');
      if (body.scheduled_at) throw unsupported('Scheduled statuses');
      if (body.visibility !== undefined && body.visibility !== 'public' && body.visibility !== 'unlisted') throw unsupported('Private and direct statuses');
      const text = body.status ?? '';
      if (text.trim() === '') throw new ValidationError("Validation failed: Text can't be blank", [{ field: 'body/status', message: 'is blank' }], 'status_blank');
      const post = async () => (await feed.actions.post(actorOf(principal), { text, replyTo: body.in_reply_to_id ?? undefined })).id;
      const key = request.headers['idempotency-key'];
      let statusId: string;
      if (typeof key === 'string' && key !== '') {
        if (key.length > 128) throw new ValidationError('Idempotency-Key is at most 128 characters', [{ field: 'headers/idempotency-key', message: 'too long' }]);
        const now = clock.now();
        if (now - sweptAt > SWEEP_EVERY_MS) {
          sweptAt = now;
          void idempotency.sweep(now).catch((err: unknown) => request.log.warn({ err }, 'idempotency sweep failed'));
        }
        ({ statusId } = await idempotency.once(principal.userId, key, now, post));
      } else {
        statusId = await post();
      }
      return views.status(statusId, principal.userId);
    });

    app.get('/api/v1/statuses/:id', { schema: { tags, summary: 'A status (Mastodon)', params: IdParams } }, async (request) => views.status(request.params.id, viewerOf(request)));

    app.delete('/api/v1/statuses/:id', { schema: { tags, security, summary: 'Delete one of your statuses; answers it with its text, for redrafting (Mastodon)', params: IdParams } }, async (request) => {
      const principal = requireScope(request, 'write:statuses');
      const status = await views.status(request.params.id, principal.userId);
      await feed.actions.delete(actorOf(principal), request.params.id);
      return status;
    });

    app.get('/api/v1/statuses/:id/context', { schema: { tags, summary: 'The thread around a status (Mastodon)', params: IdParams } }, async (request) => {
      const viewer = viewerOf(request);
      const tweet = await feed.actions.get(request.params.id);
      const ancestors = [];
      let parent = tweet.replyTo;
      const seen = new Set<string>([tweet.id]);
      while (parent !== null && ancestors.length < CONTEXT_LIMIT && !seen.has(parent)) {
        seen.add(parent);
        const [found] = await feed.tweetsByIds([parent]);
        if (found === undefined) break;
        ancestors.unshift(found);
        parent = found.replyTo;
      }
      // Descendants breadth-first, each level's replies oldest first, bounded in count.
      const descendants = [];
      let level = [tweet.id];
      while (level.length > 0 && descendants.length < CONTEXT_LIMIT) {
        const next = [];
        for (const id of level) {
          for (const reply of await feed.actions.replies(id, CONTEXT_LIMIT)) {
            if (seen.has(reply.id) || descendants.length >= CONTEXT_LIMIT) continue;
            seen.add(reply.id);
            descendants.push(reply);
            next.push(reply.id);
          }
        }
        level = next;
      }
      return { ancestors: await views.statuses(ancestors, viewer), descendants: await views.statuses(descendants, viewer) };
    });

    for (const action of ['favourite', 'unfavourite'] as const) {
      app.post(`/api/v1/statuses/:id/${action}`, { schema: { tags, security, summary: `${action === 'favourite' ? 'Favourite' : 'Take back a favourite of'} a status (Mastodon)`, params: IdParams } }, async (request) => {
        const principal = requireScope(request, 'write:favourites');
        if (action === 'favourite') await feed.actions.like(actorOf(principal), request.params.id);
        else await feed.actions.unlike(actorOf(principal), request.params.id);
        return views.status(request.params.id, principal.userId);
      });
    }

    app.get('/api/v1/statuses/:id/favourited_by', { schema: { tags, summary: 'Who favourited a status (Mastodon)', params: IdParams } }, async (request) => views.accountsById(await feed.actions.likers(request.params.id, 80)));
    app.get('/api/v1/statuses/:id/reblogged_by', { schema: { tags, summary: 'Boosts are not supported: nobody (Mastodon)', params: IdParams } }, async (request) => {
      await feed.actions.get(request.params.id);
      return [];
    });
    for (const action of ['reblog', 'unreblog', 'bookmark', 'unbookmark', 'pin', 'unpin', 'mute', 'unmute'] as const) {
      app.post(`/api/v1/statuses/:id/${action}`, { schema: { tags, security, summary: `Not supported here (Mastodon’s ${action})`, params: IdParams } }, async (request) => {
        requireScope(request, 'write:statuses', 'write:bookmarks', 'write:accounts', 'write:mutes');
        await feed.actions.get(request.params.id);
        throw unsupported(action.includes('reblog') ? 'Boosts' : action.includes('bookmark') ? 'Bookmarks' : action.includes('pin') ? 'Pinned statuses' : 'Conversation mutes');
      });
    }
  };
}
