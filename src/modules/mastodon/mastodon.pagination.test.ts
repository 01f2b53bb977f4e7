import { describe, expect, it } from 'vitest';
import { readPage, type PageSource } from './mastodon.pagination.js';

/** Ids 1..100, read newest first below an id, as the feed's sources page. */
const source: PageSource<{ id: string }> = async (limit, maxId) => {
  const top = maxId === undefined ? 100 : Number(maxId) - 1;
  const items = Array.from({ length: Math.max(0, Math.min(limit, top)) }, (_, i) => ({ id: String(top - i) }));
  return { items, more: top - items.length > 0 };
};
const ids = (items: { id: string }[]) => items.map((i) => Number(i.id));
const defaults = { limit: 20, max: 40 };

describe('readPage', () => {
  it('pages down with max_id and caps the limit', async () => {
    expect(ids(await readPage(source, { limit: 3 }, defaults))).toEqual([100, 99, 98]);
    expect(ids(await readPage(source, { limit: 3, max_id: '50' }, defaults))).toEqual([49, 48, 47]);
    expect(await readPage(source, { limit: 1000 }, defaults)).toHaveLength(40);
  });

  it('answers the newest items above since_id, and the ones just above min_id, newest first', async () => {
    expect(ids(await readPage(source, { limit: 3, since_id: '10' }, defaults))).toEqual([100, 99, 98]);
    expect(ids(await readPage(source, { limit: 3, min_id: '10' }, defaults))).toEqual([13, 12, 11]);
    expect(ids(await readPage(source, { limit: 3, min_id: '98' }, defaults))).toEqual([100, 99]);
    expect(await readPage(source, { since_id: '100' }, defaults)).toEqual([]);
    expect(ids(await readPage(source, { limit: 2, min_id: '10', max_id: '20' }, defaults))).toEqual([12, 11]);
  });

  it('refuses ids that are not ids', async () => {
    await expect(readPage(source, { max_id: 'x' }, defaults)).rejects.toMatchObject({ status: 400 });
    await expect(readPage(source, { min_id: '1e3' }, defaults)).rejects.toMatchObject({ status: 400 });
  });
});
