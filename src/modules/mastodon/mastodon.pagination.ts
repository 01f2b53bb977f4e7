import type { FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../shared/errors/index.js';

/** Mastodon's paging parameters. Ids are decimal strings; every list is newest (highest id) first. */
export interface PageParams {
  max_id?: string | undefined;
  since_id?: string | undefined;
  min_id?: string | undefined;
  limit?: number | undefined;
}

/** A list read newest first, `limit` items below `maxId` (exclusive), and whether more may follow. */
export type PageSource<T> = (limit: number, maxId: string | undefined) => Promise<{ items: T[]; more: boolean }>;

/** Pages read at most to find the items above since_id/min_id: a client far behind gets the newest ones. */
const MAX_PAGES = 10;
const ID = /^[0-9]{1,20}$/;

function checkId(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!ID.test(value)) throw new ValidationError(`${name} is not an id`, [{ field: `querystring/${name}`, message: 'must be a decimal id' }], 'invalid_id');
  return value;
}

const above = (id: string, bound: string) => BigInt(id) > BigInt(bound);

/**
 * One page by Mastodon's rules over a newest-first source: `max_id` pages down, `since_id` gives
 * the newest items above it, `min_id` the items just above it (both newest first, as Mastodon
 * answers). The sources page by "below an id" only, so the upward cases read down from the top,
 * at most {@link MAX_PAGES} pages.
 */
export async function readPage<T extends { id: string }>(source: PageSource<T>, params: PageParams, defaults: { limit: number; max: number }): Promise<T[]> {
  const limit = Math.min(Math.max(params.limit ?? defaults.limit, 1), defaults.max);
  const maxId = checkId(params.max_id, 'max_id');
  const bound = checkId(params.min_id, 'min_id') ?? checkId(params.since_id, 'since_id');
  if (bound === undefined) return (await source(limit, maxId)).items.slice(0, limit);
  const useMin = checkId(params.min_id, 'min_id') !== undefined;
  const collected: T[] = [];
  let cursor = maxId;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { items, more } = await source(Math.max(limit, 40), cursor);
    const newer = items.filter((i) => above(i.id, bound));
    collected.push(...newer);
    // since_id wants the newest: the first page's are enough.
    if (!useMin && collected.length >= limit) break;
    if (newer.length < items.length || !more || items.length === 0) break;
    cursor = items.at(-1)!.id;
  }
  return useMin ? collected.slice(-limit) : collected.slice(0, limit);
}

/**
 * Mastodon's `Link` header: `next` pages to older items (max_id of the last), `prev` to newer ones
 * (min_id of the first), on the same path with the same other parameters.
 */
export function setLinkHeader(reply: FastifyReply, request: FastifyRequest, publicUrl: string, ids: { first: string; last: string } | undefined, hasOlder = true): void {
  if (ids === undefined) return;
  const [path, query = ''] = request.url.split('?', 2) as [string, string?];
  const link = (key: 'max_id' | 'min_id', id: string) => {
    const params = new URLSearchParams(query);
    for (const k of ['max_id', 'min_id', 'since_id']) params.delete(k);
    params.set(key, id);
    return `<${publicUrl}${path}?${params.toString()}>`;
  };
  const parts = [...(hasOlder ? [`${link('max_id', ids.last)}; rel="next"`] : []), `${link('min_id', ids.first)}; rel="prev"`];
  reply.header('link', parts.join(', '));
}

/** The first and last ids of a page, for its Link header. */
export function edges(items: readonly { id: string }[]): { first: string; last: string } | undefined {
  return items.length === 0 ? undefined : { first: items[0]!.id, last: items.at(-1)!.id };
}
