import { afterEach, beforeEach, expect, it } from 'vitest';
import { tablesOf, type SqlDatabase } from '../../platform/sql/index.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { linksMigrations } from './links.migrations.js';
import type { Link } from './links.model.js';
import { LinksRepository } from './links.repository.js';
import type { LinksTables } from './links.tables.js';

const link = (code: string, more: Partial<Link> = {}): Link => ({ code, url: `https://example.com/${code}`, ownerId: 'u1', redirect: 302, createdAt: 1_000, expiresAt: null, publicStats: false, ...more });

describeEachDialect('LinksRepository', (dialect) => {
  let sql: SqlDatabase<LinksTables>;
  let links: LinksRepository;
  beforeEach(async () => {
    sql = tablesOf<LinksTables>(await dialect.open());
    await sql.migrate(linksMigrations);
    links = new LinksRepository(sql);
  });
  afterEach(() => sql.close());

  it('inserts concurrent links in one shared commit, answering false for a taken code without failing the others', async () => {
    const codes = ['a', 'b', 'A', 'dup', 'c', 'dup'];
    const inserted = await Promise.all(codes.map((code, i) => links.insert(link(code, { createdAt: i }))));
    // Codes are case-sensitive on both engines: 'a' and 'A' are two links.
    expect(inserted).toEqual([true, true, true, true, true, false]);
    expect(await links.findByCode('A')).toEqual(link('A', { createdAt: 2 }));
    expect(await links.findByCode('dup')).toEqual(link('dup', { createdAt: 3 }));
  });

  it('answers each link of a group larger than one statement, a code stored by an earlier commit as taken', async () => {
    expect(await links.insert(link('old-150'))).toBe(true);
    const codes = Array.from({ length: 250 }, (_, i) => `old-${i}`.replace(/^old-(?!150$)/, 'new-'));
    const inserted = await Promise.all(codes.map((code, i) => links.insert(link(code, { createdAt: 10 + i }))));
    expect(inserted.map((ok, i) => (ok ? null : codes[i]))).toEqual(codes.map((code) => (code === 'old-150' ? code : null)));
    expect(await links.findByCode('old-150')).toEqual(link('old-150'));
    expect(await links.findByCode('new-249')).toEqual(link('new-249', { createdAt: 259 }));
  });

  it('round-trips epoch-ms times beyond 2^32 and a null expiry, as numbers', async () => {
    const big = link('t', { createdAt: Date.UTC(2100, 0, 1), expiresAt: Date.UTC(2200, 0, 1), redirect: 301, ownerId: null });
    await links.insert(big);
    expect(await links.findByCode('t')).toEqual(big);
  });

  it('lists an owner\'s live links newest first, paged by (createdAt, code)', async () => {
    for (const [code, at] of [['x1', 5], ['x2', 5], ['x3', 7], ['x4', 9]] as const) await links.insert(link(code, { createdAt: at }));
    await links.insert(link('other', { ownerId: 'u2', createdAt: 8 }));
    expect(await links.markDeleted('x4', 10)).toBe(true);
    expect(await links.markDeleted('x4', 11)).toBe(false);
    const first = await links.listByOwner('u1', 2);
    expect(first.map((l) => l.code)).toEqual(['x3', 'x2']);
    const last = first.at(-1)!;
    expect((await links.listByOwner('u1', 2, { createdAt: last.createdAt, code: last.code })).map((l) => l.code)).toEqual(['x1']);
  });

  it('searches an owner\'s links by code or target, case-insensitively, with % and _ taken literally', async () => {
    await links.insert(link('Launch', { url: 'https://example.com/spring', createdAt: 1 }));
    await links.insert(link('docs', { url: 'https://EXAMPLE.org/Read_Me', createdAt: 2 }));
    await links.insert(link('pct', { url: 'https://example.net/100%25', createdAt: 3 }));
    await links.insert(link('wild', { url: 'https://other.net/ReadXMe', createdAt: 0 }));
    await links.insert(link('theirs', { url: 'https://example.com/launch', ownerId: 'u2', createdAt: 4 }));
    const codes = async (q: string) => (await links.listByOwner('u1', 10, undefined, q)).map((l) => l.code);
    expect(await codes('launch')).toEqual(['Launch']);
    expect(await codes('example.')).toEqual(['pct', 'docs', 'Launch']);
    expect(await codes('read_me')).toEqual(['docs']);
    expect(await codes('%')).toEqual(['pct']);
    expect(await codes('nothing')).toEqual([]);
    expect(await codes('')).toEqual(['pct', 'docs', 'Launch', 'wild']);
  });

  it('updates only live links, and keeps a deleted code taken', async () => {
    await links.insert(link('u'));
    expect(await links.update('u', { url: 'https://example.org/', expiresAt: 5_000, redirect: 301 })).toMatchObject({ url: 'https://example.org/', expiresAt: 5_000, redirect: 301 });
    await links.markDeleted('u', 2_000);
    expect(await links.update('u', { url: 'https://example.net/' })).toBeNull();
    expect(await links.findByCode('u')).toBeNull();
    expect(await links.insert(link('u'))).toBe(false);
  });
});
