import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller, PreRouting } from '../../shared/module.js';
import type { Page, Tweet } from './feed.model.js';
import { parseId } from './feed.ids.js';
import type { HomeTimeline } from './home-timeline.js';
import type { TweetViews } from './tweet-views.js';

export interface HomeFastPathOptions extends Pick<PreRouting, 'ipOf' | 'givenRequestId' | 'headers' | 'callerNow' | 'route'> {
  home: Pick<HomeTimeline, 'pageFast'>;
  views: Pick<TweetViews, 'pageNow'>;
  /** The route's rate limits, decided now (PreRouting.limitsOf). */
  limits: ReturnType<PreRouting['limitsOf']>;
  observe: ReturnType<PreRouting['observe']>;
}

/** The route this path answers (the router's own URL for it: metrics and rate-limit policies name it so). */
export const HOME_PATH = '/api/v1/timeline/home';
const PATH = HOME_PATH;
const DEFAULT_LIMIT = 20;
// The query the route's schema takes, in its simplest spellings; anything else (repeats, other
// keys, escapes) goes to the router, which validates it.
const QUERY = /^(?:limit=([1-9][0-9]?|100)|cursor=([0-9]{1,19}))(?:&(?:limit=([1-9][0-9]?|100)|cursor=([0-9]{1,19})))?$/;

/**
 * `GET /api/v1/timeline/home` answered before Fastify routes the request, when nothing in it needs
 * I/O: the caller's access token verified a moment ago (AccessTokenVerifier's cache, revocations
 * checked), the page whole in the cache (HomeTimeline.pageFast: the reader known, their cached
 * timeline, every tweet's JSON text and their likes held), and the rate limits decided without
 * waiting. With the timelines in this process that is all synchronous; with them in Redis the
 * request waits for one range read, then is answered here or handed to the router. The body is the one the route would send, byte for byte (TweetViews.pageNow builds both
 * from the same fragments). Everything else — no or another credential, a browser's cross-origin
 * request (CORS), a page that needs the database, a limit that refuses or holds — goes to the route.
 * The page is read before the limits are decided so that a request the route answers is counted
 * once, by the route or here.
 */
export function homeFastPath(options: HomeFastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { home, views, callerNow, limits, observe, ipOf, givenRequestId, route } = options;
  const fixed = options.headers.flat();
  /** Writes the page when its body needs no I/O and the limits let it through now; false: not answered. */
  const answer = (req: IncomingMessage, res: ServerResponse, caller: Caller, viewer: bigint, page: Page<Tweet>, started: number): boolean => {
    const body = views.pageNow(page, viewer);
    if (body === undefined) return false;
    const limited = limits(req, ipOf(req), caller);
    if (limited === undefined) return false;
    // `vary`: the route's scope answers CORS, so a cache must not reuse this for another Origin.
    const headers = [...fixed, 'vary', 'Origin', 'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body)), 'x-request-id', givenRequestId(req) ?? randomUUID()];
    for (const [name, value] of limited) headers.push(name, value);
    res.writeHead(200, headers);
    res.end(body);
    observe('GET', 200, (performance.now() - started) / 1000);
    return true;
  };
  return (req, res) => {
    if (req.method !== 'GET') return false;
    const url = req.url!;
    if (!url.startsWith(PATH)) return false;
    let limit = DEFAULT_LIMIT;
    let cursor: bigint | undefined;
    if (url.length !== PATH.length) {
      if (url.charCodeAt(PATH.length) !== 63 /* ? */) return false;
      const query = QUERY.exec(url.slice(PATH.length + 1));
      if (query === null) return false;
      const limitsGiven = [query[1], query[3]].filter((v) => v !== undefined);
      const cursors = [query[2], query[4]].filter((v) => v !== undefined);
      if (limitsGiven.length > 1 || cursors.length > 1) return false;
      if (limitsGiven[0] !== undefined) limit = Number(limitsGiven[0]);
      if (cursors[0] !== undefined) {
        const id = parseId(cursors[0]);
        if (id === null) return false;
        cursor = id;
      }
    }
    if (req.headers.origin !== undefined) return false;
    const caller = callerNow(req);
    if (caller === undefined) return false;
    const started = performance.now();
    const viewer = BigInt(caller.userId);
    const page = home.pageFast(viewer, limit, cursor);
    if (page === undefined) return false;
    if (!(page instanceof Promise)) return answer(req, res, caller, viewer, page, started);
    // The timelines in Redis: the request is ours while the read is out; the router takes it back if it came back short.
    page.then(
      (whole) => {
        if (whole === undefined || !answer(req, res, caller, viewer, whole, started)) route(req, res);
      },
      () => route(req, res),
    );
    return true;
  };
}
