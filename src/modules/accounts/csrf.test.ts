import { describe, expect, it } from 'vitest';
import { isTrustedOrigin, trustedOriginSet } from './csrf.js';

const trusted = trustedOriginSet(['https://app.example.com', 'http://localhost:8080/']);

describe('isTrustedOrigin', () => {
  it('accepts a trusted Origin', () => {
    expect(isTrustedOrigin({ origin: 'https://app.example.com' }, trusted)).toBe(true);
    expect(isTrustedOrigin({ origin: 'http://localhost:8080' }, trusted)).toBe(true);
  });

  it('refuses other origins, look-alikes and null', () => {
    for (const origin of ['https://evil.example', 'http://app.example.com', 'https://app.example.com.evil.example', 'https://app.example.com:444', 'null', '', 'https://app.example.com/path', 'app.example.com']) {
      expect(isTrustedOrigin({ origin }, trusted), origin).toBe(false);
    }
  });

  it('falls back to the Referer origin only when Origin is absent', () => {
    expect(isTrustedOrigin({ referer: 'https://app.example.com/settings?x=1' }, trusted)).toBe(true);
    expect(isTrustedOrigin({ referer: 'https://evil.example/https://app.example.com' }, trusted)).toBe(false);
    expect(isTrustedOrigin({ referer: 'not a url' }, trusted)).toBe(false);
    // A present but untrusted Origin is not rescued by a trusted Referer.
    expect(isTrustedOrigin({ origin: 'https://evil.example', referer: 'https://app.example.com/' }, trusted)).toBe(false);
  });

  it('refuses a request with neither header', () => {
    expect(isTrustedOrigin({}, trusted)).toBe(false);
  });
});
