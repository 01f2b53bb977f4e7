import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requirePrincipal } from '../accounts/index.js';
import { invalidCursor } from './feed.errors.js';
import { parseId, userIdOf } from './feed.ids.js';
import { tweetView, type Page, type Tweet, type TweetView as TweetViewShape } from './feed.model.js';
import type { TweetViews } from './tweet-views.js';
import {
  CreateTweetBody,
  FollowView,
  LikeView,
  PageQuery,
  Problem,
  ProfileView,
  TweetIdParams,
  TweetPageView,
  TweetView,
  UsernameParams,
  UserPageView,
} from './feed.schemas.js';
import type { FollowsService } from './follows.service.js';
import type { HomeTimeline } from './home-timeline.js';
import type { TweetsService } from './tweets.service.js';

export interface FeedRoutesDeps {
  tweets: TweetsService;
  follows: FollowsService;
  home: HomeTimeline;
  views: TweetViews;
}

/** A page's cursor as a tweet or user id. */
function cursorOf(query: PageQuery): bigint | undefined {
  if (query.cursor === undefined) return undefined;
  const id = parseId(query.cursor);
  if (id === null) throw invalidCursor();
  return id;
}

/** Renders tweets for a reader: `likedByMe` only when signed in. */
export async function renderTweets(views: TweetViews, items: readonly Tweet[], viewerId: string | null): Promise<TweetViewShape[]> {
  if (viewerId === null) return items.map((t) => tweetView(t, undefined));
  const liked = await views.likedAmong(userIdOf(viewerId), items);
  return items.map((t) => tweetView(t, liked.has(t.id)));
}

/** A page answered as the JSON text built from cached tweets (the schema documents it; nothing re-serialises it). */
async function sendPage(reply: FastifyReply, views: TweetViews, page: Page<Tweet>, viewerId: string | null): Promise<FastifyReply> {
  return reply.type('application/json; charset=utf-8').send(await views.page(page, viewerId === null ? null : userIdOf(viewerId)));
}

/** `/api/v1/tweets*`, `/api/v1/users/{username}*`, `/api/v1/timeline/home`. */
export function feedRoutes(deps: FeedRoutesDeps): FastifyPluginAsync {
  const { tweets, follows, home, views } = deps;
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const tags = ['feed'];
    const security = [{ bearer: [] }];
    const viewerOf = (request: FastifyRequest) => request.principal?.userId ?? null;

    app.post(
      '/api/v1/tweets',
      { schema: { tags, security, summary: 'Post a tweet or a reply', body: CreateTweetBody, response: { 201: TweetView, 400: Problem, 401: Problem } } },
      async (request, reply) => {
        const { userId, username } = requirePrincipal(request);
        const tweet = await tweets.post({ userId, username }, request.body);
        return reply.code(201).header('location', `/api/v1/tweets/${tweet.id}`).send(tweetView(tweet, false));
      },
    );

    app.get(
      '/api/v1/tweets/:id',
      { schema: { tags, summary: 'A tweet (deleted ones are not found)', params: TweetIdParams, response: { 200: TweetView, 404: Problem } } },
      async (request) => {
        const [view] = await renderTweets(views, [await tweets.get(request.params.id)], viewerOf(request));
        return view!;
      },
    );

    app.delete(
      '/api/v1/tweets/:id',
      { schema: { tags, security, summary: 'Delete one of your tweets; it leaves every timeline', params: TweetIdParams, response: { 204: Type.Null(), 401: Problem, 403: Problem, 404: Problem } } },
      async (request, reply) => {
        const { userId, username } = requirePrincipal(request);
        await tweets.delete({ userId, username }, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.put(
      '/api/v1/tweets/:id/like',
      { schema: { tags, security, summary: 'Like a tweet (idempotent)', params: TweetIdParams, response: { 200: LikeView, 401: Problem, 404: Problem } } },
      async (request) => {
        const { userId, username } = requirePrincipal(request);
        return { likeCount: await tweets.like({ userId, username }, request.params.id) };
      },
    );

    app.delete(
      '/api/v1/tweets/:id/like',
      { schema: { tags, security, summary: 'Take a like back (idempotent)', params: TweetIdParams, response: { 200: LikeView, 401: Problem, 404: Problem } } },
      async (request) => {
        const { userId, username } = requirePrincipal(request);
        return { likeCount: await tweets.unlike({ userId, username }, request.params.id) };
      },
    );

    app.put(
      '/api/v1/users/:username/follow',
      { schema: { tags, security, summary: 'Follow a user (idempotent)', params: UsernameParams, response: { 200: FollowView, 400: Problem, 401: Problem, 404: Problem } } },
      async (request) => {
        const { userId, username } = requirePrincipal(request);
        return { following: await follows.follow({ userId, username }, request.params.username) };
      },
    );

    app.delete(
      '/api/v1/users/:username/follow',
      { schema: { tags, security, summary: 'Unfollow a user (idempotent)', params: UsernameParams, response: { 200: FollowView, 401: Problem, 404: Problem } } },
      async (request) => {
        const { userId, username } = requirePrincipal(request);
        return { following: await follows.unfollow({ userId, username }, request.params.username) };
      },
    );

    app.get(
      '/api/v1/users/:username',
      { schema: { tags, summary: 'A user’s profile and numbers', params: UsernameParams, response: { 200: ProfileView, 404: Problem } } },
      async (request) => follows.profile(request.params.username),
    );

    app.get(
      '/api/v1/users/:username/tweets',
      { schema: { tags, summary: 'A user’s tweets and replies, newest first', params: UsernameParams, querystring: PageQuery, response: { 200: TweetPageView, 400: Problem, 404: Problem } } },
      async (request, reply) => {
        const cursor = cursorOf(request.query);
        const user = await follows.user(request.params.username);
        return sendPage(reply, views, await tweets.byAuthor(user.id, request.query.limit, cursor), viewerOf(request));
      },
    );

    for (const direction of ['followers', 'following'] as const) {
      app.get(
        `/api/v1/users/:username/${direction}`,
        { schema: { tags, summary: direction === 'followers' ? 'Who follows a user' : 'Whom a user follows', params: UsernameParams, querystring: PageQuery, response: { 200: UserPageView, 400: Problem, 404: Problem } } },
        async (request) => follows.list(direction, request.params.username, request.query.limit, cursorOf(request.query)),
      );
    }

    app.get(
      '/api/v1/timeline/home',
      {
        schema: {
          tags,
          security,
          summary: 'Your home timeline: tweets of the people you follow and your own, newest first; pages never repeat or skip a tweet',
          querystring: PageQuery,
          response: { 200: TweetPageView, 400: Problem, 401: Problem },
        },
      },
      async (request, reply) => {
        const { userId } = requirePrincipal(request);
        return sendPage(reply, views, await home.page(userIdOf(userId), request.query.limit, cursorOf(request.query)), userId);
      },
    );
  };
}
