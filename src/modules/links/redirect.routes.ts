import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../../shared/errors/index.js';
import type { Clock } from '../../platform/clock/index.js';
import { CodeParams, Problem } from './links.schemas.js';
import type { ClickSink } from './links.model.js';
import type { LinksService } from './links.service.js';
import { PAGE_CSP, errorPage, previewPage } from './preview.page.js';
import { linkView } from './links.routes.js';

export interface RedirectRoutesOptions {
  links: LinksService;
  clicks: ClickSink;
  clock: Clock;
  publicUrl: string;
  /** Seconds browsers may cache a 301. */
  permanentMaxAge: number;
  /** Clicks counted so far for a code (for the preview page). */
  clickTotal: (code: string) => Promise<number>;
}

const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? '').includes('text/html');

function sendHtml(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('content-security-policy', PAGE_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/**
 * `GET /{code}`: the hot path. A cache hit touches no SQL and no disk: the click goes to an
 * in-memory buffer and the answer is a bare redirect. `GET /{code}+` previews without redirecting.
 */
export async function redirectRoutes(fastify: FastifyInstance, options: RedirectRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { links, clicks, clock, publicUrl } = options;
  const permanentCache = `public, max-age=${options.permanentMaxAge}`;

  app.get(
    '/:code',
    {
      schema: {
        tags: ['links'],
        summary: 'Follow a short link (append + for a preview page)',
        params: CodeParams,
        response: { 404: Problem, 410: Problem },
      },
    },
    async (request, reply) => {
      const code = request.params.code;
      try {
        if (code.endsWith('+') && code.length > 1) {
          const link = await links.get(code.slice(0, -1));
          const page = previewPage({ ...link, shortUrl: linkView(link, publicUrl).shortUrl, clicks: await options.clickTotal(link.code) });
          return sendHtml(reply, 200, page);
        }
        const target = await links.resolve(code);
        clicks.record({
          code,
          at: clock.now(),
          ip: request.ip,
          userAgent: request.headers['user-agent'],
          referrer: request.headers.referer,
          head: request.method === 'HEAD',
        });
        return (reply as FastifyReply)
          .code(target.redirect)
          .header('location', target.url)
          // A 302 must come back to us for every click to count.
          .header('cache-control', target.redirect === 301 ? permanentCache : 'private, no-cache')
          .send();
      } catch (error) {
        if (error instanceof AppError && error.status < 500 && wantsHtml(request)) return sendHtml(reply, error.status, errorPage(error.status, error.message));
        throw error;
      }
    },
  );
}
