import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.js';

describe('securityHeaders', () => {
  it('captures the headers of the cheat sheet from helmet, HSTS only over TLS', () => {
    const plain = securityHeaders({ servedOverTls: false });
    expect(plain).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'x-xss-protection': '0',
    });
    expect(plain['content-security-policy']).toBe("default-src 'self';script-src 'self';style-src 'self' 'unsafe-inline';img-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'");
    expect(plain['strict-transport-security']).toBeUndefined();
    expect(securityHeaders({ servedOverTls: true })['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(Object.isFrozen(plain)).toBe(true);
  });
});
