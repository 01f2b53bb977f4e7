import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { AccessTokens } from './access-tokens.js';
import { AccountsService } from './accounts.service.js';
import { AuditLog } from './audit-log.js';
import { AuditRepository } from './audit.repository.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshSessions } from './refresh-sessions.js';
import { SessionRevocations } from './session-revocations.js';
import { SessionsRepository } from './sessions.repository.js';
import { SigningKeys } from './signing-keys.js';
import { openAccountsDb } from './testing/accounts-db.js';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { UsersRepository } from './users.repository.js';

const ctx = { ip: '198.51.100.7', userAgent: 'vitest' };
const PASSWORD = 'correct horse battery staple';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describeEachDialect('AccountsService login', (dialect) => {
  let db: Awaited<ReturnType<typeof openAccountsDb>>;
  let dataDir: string;
  let hasher: PasswordHasher;
  let service: AccountsService;
  beforeEach(async () => {
    db = await openAccountsDb(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'service-test-'));
    const keys = await SigningKeys.open({ dataDir, now: () => db.clock.now() });
    hasher = new PasswordHasher({ memoryCost: 8192, timeCost: 3, parallelism: 1 });
    await hasher.start();
    service = new AccountsService({
      users: new UsersRepository(db.sql),
      sessions: new RefreshSessions({ repository: new SessionsRepository(db.sql), clock: db.clock, ids: db.ids, ttlMs: 86_400_000 }),
      revocations: new SessionRevocations({ clock: db.clock, rememberMs: 905_000 }),
      accessTokens: new AccessTokens({ keys, clock: db.clock, issuer: 'i', audience: 'a', ttlSeconds: 900 }),
      hasher,
      audit: new AuditLog({ repository: new AuditRepository(db.sql), clock: db.clock, ids: db.ids }),
      clock: db.clock,
      ids: db.ids,
      logger: pino({ level: 'silent' }),
    });
    await service.signup({ username: 'alice', email: 'alice@example.com', password: PASSWORD }, ctx);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const failure = (login: string, password: string) => service.login({ login, password }, ctx).then(() => 'ok', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);

  it('spends one argon2 verification on an unknown login, as on a wrong password', async () => {
    const verify = vi.spyOn(hasher, 'verify');
    expect(await failure('nobody', PASSWORD)).toBe(await failure('alice', 'wrong password here'));
    expect(await failure('nobody@example.com', PASSWORD)).toBe('invalid_credentials: The login or the password is wrong');
    // Three failed logins, three verifications: the unknown ones against the dummy hash.
    expect(verify).toHaveBeenCalledTimes(3);
  });

  it('takes about as long for an unknown login as for a wrong password', async () => {
    const time = async (login: string) => {
      const started = performance.now();
      await failure(login, 'wrong password here');
      return performance.now() - started;
    };
    await time('alice');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 7; i++) {
      known.push(await time('alice'));
      unknown.push(await time(`ghost${i}`));
    }
    const ratio = median(unknown) / median(known);
    // Without the dummy verification the unknown login would be tens of times faster.
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('refuses an over-long password as a wrong one, after the same work', async () => {
    const verify = vi.spyOn(hasher, 'verify');
    expect(await failure('alice', 'x'.repeat(5000))).toBe('invalid_credentials: The login or the password is wrong');
    expect(verify).toHaveBeenCalledTimes(1);
  });
});
