import { afterEach, beforeEach, expect, it } from 'vitest';
import { AuditLog, truncate } from './audit-log.js';
import { AuditRepository } from './audit.repository.js';
import { openAccountsDb } from './testing/accounts-db.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';

describeEachDialect('AuditLog', (dialect) => {
  let db: Awaited<ReturnType<typeof openAccountsDb>>;
  let audit: AuditLog;
  beforeEach(async () => {
    db = await openAccountsDb(dialect);
    audit = new AuditLog({ repository: new AuditRepository(db.sql), clock: db.clock, ids: db.ids });
  });
  afterEach(() => db.close());

  it('records events with a truncated user agent and lists them newest first', async () => {
    await audit.record('signup', { userId: '1', context: { ip: '192.0.2.1', userAgent: 'x'.repeat(1000) } });
    db.clock.advance(1);
    await audit.record('login_failed', { userId: null, context: { ip: '192.0.2.2', userAgent: undefined }, details: { login: 'bob' } });
    const events = await audit.list({ limit: 10 });
    expect(events.map((e) => e.kind)).toEqual(['login_failed', 'signup']);
    expect(events[0]).toMatchObject({ userId: null, ip: '192.0.2.2', userAgent: null, details: { login: 'bob' } });
    expect(events[1]?.userAgent).toHaveLength(256);
    expect(events[1]?.id).toMatch(/^[1-9][0-9]*$/);
  });

  it('pages with `before` across ids of different lengths (the ids are stored zero-padded)', async () => {
    // The clock starts right after the snowflake epoch, so early ids are short; later ones long.
    db.clock.set(Date.UTC(2026, 0, 1) + 1);
    for (let i = 0; i < 5; i++) {
      await audit.record('logout', { userId: 'u', context: undefined, details: { i } });
      db.clock.advance(10 ** (i + 2));
    }
    const all = await audit.list({ userId: 'u', limit: 10 });
    expect(all.map((e) => e.details.i)).toEqual([4, 3, 2, 1, 0]);
    expect(new Set(all.map((e) => e.id.length)).size).toBeGreaterThan(1);
    const page1 = await audit.list({ userId: 'u', limit: 2 });
    const page2 = await audit.list({ userId: 'u', limit: 2, before: page1.at(-1)!.id });
    const page3 = await audit.list({ userId: 'u', limit: 2, before: page2.at(-1)!.id });
    expect([...page1, ...page2, ...page3].map((e) => e.details.i)).toEqual([4, 3, 2, 1, 0]);
  });

  it('filters by user and refuses a malformed cursor', async () => {
    await audit.record('signup', { userId: 'a', context: undefined });
    await audit.record('signup', { userId: 'b', context: undefined });
    expect((await audit.list({ userId: 'a', limit: 10 })).map((e) => e.userId)).toEqual(['a']);
    await expect(audit.list({ limit: 10, before: "1' OR 1=1" })).rejects.toThrow(RangeError);
  });

  it('truncates by code points', () => {
    expect(truncate('🙂🙂🙂', 2)).toBe('🙂🙂');
    expect(truncate('abc', 5)).toBe('abc');
  });
});
