import { describe, expect, it } from 'vitest';
import { PasswordHasher, hashParamsOf } from './password-hasher.js';

const cheap = { memoryCost: 8192, timeCost: 1, parallelism: 1 };

describe('PasswordHasher', () => {
  it('hashes with argon2id and the configured parameters, salted', async () => {
    const hasher = new PasswordHasher(cheap);
    const a = await hasher.hash('correct horse battery staple');
    const b = await hasher.hash('correct horse battery staple');
    expect(a).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    expect(a).not.toBe(b);
    expect(hashParamsOf(a)).toEqual(cheap);
  });

  it('uses OWASP parameters when given them', async () => {
    const hasher = new PasswordHasher({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(await hasher.hash('correct horse battery staple')).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('verifies the right password only, and a malformed hash as a failure', async () => {
    const hasher = new PasswordHasher(cheap);
    const stored = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify(stored, 'correct horse battery staple')).toBe(true);
    expect(await hasher.verify(stored, 'correct horse battery stapl')).toBe(false);
    expect(await hasher.verify('not a hash', 'whatever')).toBe(false);
    expect(await hasher.verify('', 'whatever')).toBe(false);
  });

  it('normalises Unicode (NFKC): composed and decomposed forms are the same password', async () => {
    const hasher = new PasswordHasher(cheap);
    const stored = await hasher.hash('caf\u00e9 au lait!');
    expect(await hasher.verify(stored, 'cafe\u0301 au lait!')).toBe(true);
  });

  it('asks for a rehash when the stored parameters differ from the current ones', async () => {
    const old = await new PasswordHasher(cheap).hash('correct horse battery staple');
    expect(new PasswordHasher(cheap).needsRehash(old)).toBe(false);
    expect(new PasswordHasher({ ...cheap, memoryCost: 9216 }).needsRehash(old)).toBe(true);
    expect(new PasswordHasher({ ...cheap, timeCost: 2 }).needsRehash(old)).toBe(true);
    expect(new PasswordHasher({ ...cheap, parallelism: 2 }).needsRehash(old)).toBe(true);
    expect(new PasswordHasher(cheap).needsRehash('$argon2i$v=19$m=8192,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA')).toBe(true);
    expect(new PasswordHasher(cheap).needsRehash('garbage')).toBe(true);
  });

  it('verifies unknown logins against a dummy hash made at start, and always fails', async () => {
    const hasher = new PasswordHasher(cheap);
    await expect(hasher.verifyDummy('x')).rejects.toThrow(/start/);
    await hasher.start();
    expect(await hasher.verifyDummy('correct horse battery staple')).toBe(false);
  });

  it('does not block the event loop while hashing', async () => {
    const hasher = new PasswordHasher({ memoryCost: 65_536, timeCost: 3, parallelism: 1 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    await hasher.hash('correct horse battery staple');
    const elapsed = performance.now() - started;
    clearInterval(timer);
    // The hash takes tens of milliseconds; timers kept firing meanwhile.
    expect(elapsed).toBeGreaterThan(10);
    expect(ticks).toBeGreaterThan(2);
  });
});
