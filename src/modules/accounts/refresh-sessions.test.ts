import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ManualClock } from '../../platform/clock/index.js';
import type { SqlDatabase } from '../../platform/sql/index.js';
import type { AccountsTables } from './accounts.tables.js';
import { RefreshSessions } from './refresh-sessions.js';
import { sha256Hex } from './secret-token.js';
import { SessionsRepository } from './sessions.repository.js';
import { insertUser, openAccountsDb } from './testing/accounts-db.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';

const DAY = 86_400_000;

describeEachDialect('RefreshSessions', (dialect) => {
  let db: Awaited<ReturnType<typeof openAccountsDb>>;
  let sql: SqlDatabase<AccountsTables>;
  let clock: ManualClock;
  let sessions: RefreshSessions;
  beforeEach(async () => {
    db = await openAccountsDb(dialect);
    ({ sql, clock } = db);
    sessions = new RefreshSessions({ repository: new SessionsRepository(sql), clock, ids: db.ids, ttlMs: 30 * DAY });
    await insertUser(sql, '1', 'alice');
  });
  afterEach(() => db.close());

  it('issues 32 random bytes (base64url) and stores only their SHA-256', async () => {
    const issued = await sessions.start('1');
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(clock.now() + 30 * DAY);
    const rows = await sql.db.selectFrom('refresh_tokens').selectAll().execute();
    expect(rows).toEqual([expect.objectContaining({ token_hash: sha256Hex(issued.token), family_id: issued.familyId, spent_at: null })]);
    expect(JSON.stringify(rows)).not.toContain(issued.token);
  });

  it('rotates: the old token is spent, the new one is in the same family and works in turn', async () => {
    const first = await sessions.start('1');
    const second = await sessions.rotate(first.token);
    expect(second).toMatchObject({ ok: true, familyId: first.familyId, userId: '1', expiresAt: first.expiresAt });
    if (!second.ok) throw new Error('unreachable');
    expect(second.token).not.toBe(first.token);
    const third = await sessions.rotate(second.token);
    expect(third).toMatchObject({ ok: true, familyId: first.familyId });
  });

  it('revokes the whole family when a spent token comes back: the newest token dies too', async () => {
    const first = await sessions.start('1');
    const second = await sessions.rotate(first.token);
    if (!second.ok) throw new Error('unreachable');
    expect(await sessions.rotate(first.token)).toEqual({ ok: false, reason: 'reused', familyId: first.familyId, userId: '1' });
    expect(await sessions.rotate(second.token)).toMatchObject({ ok: false, reason: 'revoked' });
    const family = await sql.db.selectFrom('refresh_families').selectAll().executeTakeFirstOrThrow();
    expect(family).toMatchObject({ revoked_reason: 'reuse', revoked_at: clock.now() });
  });

  it('lets exactly one of two simultaneous uses of a token win; the other is reuse', async () => {
    const first = await sessions.start('1');
    const outcomes = await Promise.all([sessions.rotate(first.token), sessions.rotate(first.token)]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok && o.reason === 'reused')).toHaveLength(1);
  });

  it('leaves other families of the same user alone', async () => {
    const laptop = await sessions.start('1');
    const phone = await sessions.start('1');
    const next = await sessions.rotate(laptop.token);
    expect(next.ok).toBe(true);
    await sessions.rotate(laptop.token);
    expect(await sessions.rotate(phone.token)).toMatchObject({ ok: true });
  });

  it('expires families a fixed time after login, however often they were refreshed', async () => {
    let current = await sessions.start('1');
    for (let day = 0; day < 29; day++) {
      clock.advance(DAY);
      const next = await sessions.rotate(current.token);
      if (!next.ok) throw new Error(`refused on day ${day}: ${next.reason}`);
      current = next;
    }
    clock.advance(DAY);
    expect(await sessions.rotate(current.token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('answers unknown for tokens it never issued', async () => {
    for (const t of ['', 'nope', 'x'.repeat(300), 'A'.repeat(43)]) expect(await sessions.rotate(t)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('revokes a family by token (logout) and by id for its owner only', async () => {
    const a = await sessions.start('1');
    expect(await sessions.revokeByToken(a.token)).toEqual({ familyId: a.familyId, userId: '1', revoked: true });
    expect(await sessions.revokeByToken(a.token)).toEqual({ familyId: a.familyId, userId: '1', revoked: false });
    expect(await sessions.rotate(a.token)).toMatchObject({ ok: false, reason: 'revoked' });
    expect(await sessions.revokeByToken('unknown')).toBeNull();

    await insertUser(sql, '2', 'bob');
    const b = await sessions.start('1');
    expect(await sessions.revokeFamily(b.familyId, '2')).toBe(false);
    expect(await sessions.rotate(b.token)).toMatchObject({ ok: true });
    const c = await sessions.start('1');
    expect(await sessions.revokeFamily(c.familyId, '1')).toBe(true);
    expect(await sessions.rotate(c.token)).toMatchObject({ ok: false, reason: 'revoked' });
  });
});
