import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { UnauthorizedError } from '../../shared/errors/index.js';
import { CodeParams, CreateLinkBody, LinkPageView, LinkView, ListLinksQuery, Problem, QrQuery, UpdateLinkBody } from './links.schemas.js';
import type { Link } from './links.model.js';
import type { LinksService } from './links.service.js';
import type { QrRenderer } from './qr-renderer.js';

export interface LinksRoutesOptions {
  links: LinksService;
  publicUrl: string;
  /** The signed-in user of a request, or null (anonymous). */
  userOf: (request: FastifyRequest) => string | null;
  /** Draws QR codes within a CPU budget, remembering them. */
  qr: QrRenderer;
}

/** The JSON shape of a link. */
export function linkView(link: Link, publicUrl: string): LinkView {
  return {
    code: link.code,
    shortUrl: `${publicUrl}/${encodeURIComponent(link.code)}`,
    url: link.url,
    redirect: link.redirect,
    createdAt: new Date(link.createdAt).toISOString(),
    expiresAt: link.expiresAt === null ? null : new Date(link.expiresAt).toISOString(),
    publicStats: link.publicStats || link.ownerId === null,
  };
}

/** `/api/v1/links`: create and read links, QR codes. */
export async function linksRoutes(fastify: FastifyInstance, options: LinksRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { links, publicUrl, userOf } = options;
  const tags = ['links'];
  const security = [{ bearer: [] }];
  const signedIn = (request: FastifyRequest) => {
    const user = userOf(request);
    if (user === null) throw new UnauthorizedError();
    return user;
  };

  app.post(
    '/api/v1/links',
    {
      schema: {
        tags,
        summary: 'Shorten a URL',
        body: CreateLinkBody,
        response: { 201: LinkView, 400: Problem, 409: Problem },
      },
    },
    async (request, reply) => {
      const link = await links.create(request.body, userOf(request));
      return reply.code(201).header('location', `/api/v1/links/${encodeURIComponent(link.code)}`).send(linkView(link, publicUrl));
    },
  );

  app.get(
    '/api/v1/links',
    { schema: { tags, security, summary: 'Your links, newest first', querystring: ListLinksQuery, response: { 200: LinkPageView, 401: Problem } } },
    async (request) => {
      const page = await links.list(signedIn(request), request.query);
      return { items: page.items.map((l) => linkView(l, publicUrl)), nextCursor: page.nextCursor };
    },
  );

  app.patch(
    '/api/v1/links/:code',
    { schema: { tags, security, summary: 'Change one of your links (target, expiry, redirect status)', params: CodeParams, body: UpdateLinkBody, response: { 200: LinkView, 400: Problem, 401: Problem, 403: Problem, 404: Problem } } },
    async (request) => linkView(await links.update(request.params.code, signedIn(request), request.body), publicUrl),
  );

  app.delete(
    '/api/v1/links/:code',
    { schema: { tags, security, summary: 'Delete one of your links; its code is never reused', params: CodeParams, response: { 204: Type.Null(), 401: Problem, 403: Problem, 404: Problem } } },
    async (request, reply) => {
      await links.remove(request.params.code, signedIn(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/links/:code',
    { schema: { tags, summary: 'A link', params: CodeParams, response: { 200: LinkView, 404: Problem } } },
    async (request) => linkView(await links.get(request.params.code), publicUrl),
  );

  app.get(
    '/api/v1/links/:code/qr',
    { schema: { tags, summary: 'QR code of the short URL', params: CodeParams, querystring: QrQuery } },
    async (request, reply) => {
      const link = await links.get(request.params.code);
      const image = await options.qr.render(linkView(link, publicUrl).shortUrl, request.query.format, request.query.size);
      reply.header('cache-control', 'public, max-age=86400');
      return reply.type(image.type).send(image.body);
    },
  );
}
