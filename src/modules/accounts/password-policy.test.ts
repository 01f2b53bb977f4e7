import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COMMON_PASSWORDS } from './common-passwords.js';
import { checkEmail, checkPassword, checkSignup, checkUsername, normaliseEmail, normaliseUsername } from './password-policy.js';

const identity = { username: 'alice', email: 'alice@example.com' };
const codeOf = (password: string) => checkPassword(password, identity)?.code ?? null;

describe('password policy', () => {
  it('ships about a thousand common passwords, lower-case, all long enough to matter', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThanOrEqual(900);
    for (const p of COMMON_PASSWORDS) {
      expect(p).toBe(p.toLowerCase());
      expect([...p].length).toBeGreaterThanOrEqual(8);
    }
    for (const p of ['password', '12345678', 'iloveyou', 'qwertyuiop', 'football', 'trustno1', 'passw0rd', 'sunshine1']) expect(COMMON_PASSWORDS.has(p), p).toBe(true);
  });

  it('refuses common passwords whatever their case', () => {
    expect(codeOf('password1')).toBe('password_too_common');
    expect(codeOf('PassWord1')).toBe('password_too_common');
    expect(codeOf('QWERTYUIOP')).toBe('password_too_common');
    expect(codeOf('correct horse battery staple')).toBeNull();
  });

  it('counts characters as code points, not UTF-16 units', () => {
    // 7 emoji are 14 UTF-16 units but 7 characters.
    expect(codeOf('🙂'.repeat(7))).toBe('password_too_short');
    expect(codeOf('🙂'.repeat(8))).toBeNull();
    expect(codeOf('abcdefg')).toBe('password_too_short');
    expect(codeOf('')).toBe('password_too_short');
  });

  it('allows at most 1,024 UTF-8 bytes', () => {
    expect(codeOf('x'.repeat(1024))).toBeNull();
    expect(codeOf('x'.repeat(1025))).toBe('password_too_long');
    // 512 characters of two bytes each fit, 513 do not, though far below 1,024 characters.
    expect(codeOf('é'.repeat(512))).toBeNull();
    expect(codeOf('é'.repeat(513))).toBe('password_too_long');
  });

  it('refuses the username or the email as password, ignoring case', () => {
    const id = { username: 'verylonguser', email: 'someone@example.org' };
    expect(checkPassword('VeryLongUser', id)?.code).toBe('password_equals_username');
    expect(checkPassword('SOMEONE@example.org', id)?.code).toBe('password_equals_email');
    expect(checkPassword('verylonguser!', id)).toBeNull();
  });

  it('takes usernames of 3-30 of [a-z0-9_] after lower-casing', () => {
    for (const ok of ['abc', 'a_1', 'x'.repeat(30), normaliseUsername('Alice_99')]) expect(checkUsername(ok), ok).toBeNull();
    for (const bad of ['ab', 'x'.repeat(31), 'al ice', 'al-ice', 'Alice', 'élodie', "o'neil", '<script>', '']) expect(checkUsername(bad)?.code, bad).toBe('username_invalid');
  });

  it('takes syntactically valid emails, normalised lower-case and trimmed', () => {
    expect(normaliseEmail('  Alice.Smith+tag@Example.COM ')).toBe('alice.smith+tag@example.com');
    for (const ok of ['a@b.co', 'alice.smith+tag@example.com', 'x_y@sub.domain.example']) expect(checkEmail(ok), ok).toBeNull();
    for (const bad of ['', 'alice', 'alice@', '@example.com', 'alice@example', 'a b@example.com', 'alice@exa mple.com', '<script>alert(1)</script>@x.com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`, '" OR "1"="1']) {
      expect(checkEmail(bad)?.code, bad).toBe('email_invalid');
    }
  });

  it('lists every invalid field at once', () => {
    const problems = checkSignup({ username: 'a', email: 'nope', password: 'short' });
    expect(problems.map((p) => [p.field, p.code])).toEqual([
      ['body/username', 'username_invalid'],
      ['body/email', 'email_invalid'],
      ['body/password', 'password_too_short'],
    ]);
    expect(checkSignup({ username: 'alice', email: 'alice@example.com', password: 'correct horse battery staple' })).toEqual([]);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), fc.string({ maxLength: 300 }), (password, name) => {
        const problems = checkSignup({ username: normaliseUsername(name), email: normaliseEmail(name), password });
        for (const p of problems) expect(p.code).toMatch(/^[a-z_]+$/);
      }),
    );
  });
});
