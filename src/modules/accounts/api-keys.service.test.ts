import { afterEach, beforeEach, expect, it } from 'vitest';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService, MAX_ACTIVE_API_KEYS } from './api-keys.service.js';
import { AuditLog } from './audit-log.js';
import { AuditRepository } from './audit.repository.js';
import { sha256Hex } from './secret-token.js';
import { insertUser, openAccountsDb } from './testing/accounts-db.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';

const ctx = { ip: '203.0.113.9', userAgent: 'test' };
const codeOf = async (promise: Promise<unknown>) => promise.then(() => 'ok', (e: { code?: string }) => e.code);

describeEachDialect('ApiKeysService', (dialect) => {
  let db: Awaited<ReturnType<typeof openAccountsDb>>;
  let service: ApiKeysService;
  beforeEach(async () => {
    db = await openAccountsDb(dialect);
    const audit = new AuditLog({ repository: new AuditRepository(db.sql), clock: db.clock, ids: db.ids });
    service = new ApiKeysService({ repository: new ApiKeysRepository(db.sql), audit, clock: db.clock, ids: db.ids });
    await insertUser(db.sql, '1', 'alice');
    await insertUser(db.sql, '2', 'bob');
  });
  afterEach(() => db.close());

  it('stores the SHA-256 of a key and its prefix, never the key', async () => {
    const created = await service.create('1', '  deploy script  ', ctx);
    expect(created.name).toBe('deploy script');
    const rows = await db.sql.db.selectFrom('api_keys').selectAll().execute();
    expect(rows).toEqual([expect.objectContaining({ id: created.id, name: 'deploy script', key_hash: sha256Hex(created.key), prefix: created.key.slice(0, 11) })]);
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(11));
  });

  it('authenticates a key as its owner until it is revoked', async () => {
    const { id, key } = await service.create('1', 'ci', ctx);
    expect(await service.authenticate(key)).toEqual({ userId: '1', username: 'alice', via: 'apikey', apiKeyId: id });
    await service.revoke('1', id, ctx);
    expect(await codeOf(service.authenticate(key))).toBe('invalid_api_key');
  });

  it('refuses unknown and malformed keys alike', async () => {
    const { key } = await service.create('1', 'ci', ctx);
    const flipped = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    for (const k of [flipped, 'bp_', 'bp_short', `${key}x`]) expect(await codeOf(service.authenticate(k)), k).toBe('invalid_api_key');
  });

  it('writes lastUsedAt at most once a minute per key', async () => {
    const { id, key } = await service.create('1', 'ci', ctx);
    const lastUsed = async () => (await service.list('1')).find((k) => k.id === id)?.lastUsedAt;
    const t0 = db.clock.now();
    await service.authenticate(key);
    expect(await lastUsed()).toBe(t0);
    db.clock.advance(59_000);
    await service.authenticate(key);
    expect(await lastUsed()).toBe(t0);
    db.clock.advance(1_000);
    await service.authenticate(key);
    expect(await lastUsed()).toBe(t0 + 60_000);
  });

  it('answers 404 for a key of someone else exactly as for a missing one, and leaves it alone', async () => {
    const { id, key } = await service.create('1', 'ci', ctx);
    expect(await codeOf(service.revoke('2', id, ctx))).toBe('api_key_not_found');
    expect(await codeOf(service.revoke('2', '999', ctx))).toBe('api_key_not_found');
    expect(await codeOf(service.revoke('2', "1' OR '1'='1", ctx))).toBe('api_key_not_found');
    expect(await service.authenticate(key)).toMatchObject({ userId: '1' });
    // Revoking twice is fine for the owner.
    await service.revoke('1', id, ctx);
    await service.revoke('1', id, ctx);
    expect((await service.list('1'))[0]?.revokedAt).toBe(db.clock.now());
  });

  it('refuses empty, long or control-character names', async () => {
    for (const name of ['', '   ', 'x'.repeat(101), 'a\u0000b', 'line\nbreak']) expect(await codeOf(service.create('1', name, ctx)), JSON.stringify(name)).toBe('api_key_name_invalid');
    expect(await codeOf(service.create('1', '<script>alert(1)</script>', ctx))).toBe('ok');
  });

  it('limits the active keys of a user', async () => {
    for (let i = 0; i < MAX_ACTIVE_API_KEYS; i++) await service.create('1', `k${i}`, ctx);
    expect(await codeOf(service.create('1', 'one too many', ctx))).toBe('api_key_limit');
    const [first] = await service.list('1');
    await service.revoke('1', first!.id, ctx);
    expect(await codeOf(service.create('1', 'room again', ctx))).toBe('ok');
  });
});
