import { describe, expect, it } from 'vitest';
import { anonymizeIp, referrerHost, userAgentInfo } from './click-enrich.js';

describe('click enrichment', () => {
  it('drops the host part of addresses', () => {
    expect(anonymizeIp('203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp('::ffff:203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(anonymizeIp('2001:db8::1')).toBe('2001:db8:0::');
    expect(anonymizeIp('::1')).toBe('0:0:0::');
    expect(anonymizeIp('')).toBe('');
  });

  it('reduces referrers to their host', () => {
    expect(referrerHost('')).toBe('direct');
    expect(referrerHost('https://News.Example.org/item?id=1')).toBe('news.example.org');
    expect(referrerHost('not a url')).toBe('unknown');
  });

  it('classifies user agents, counting a missing one as a bot', () => {
    expect(userAgentInfo('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36')).toEqual({ bot: false, browser: 'Chrome', os: 'Windows', device: 'desktop' });
    expect(userAgentInfo('Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1')).toMatchObject({ bot: false, os: 'iOS', device: 'tablet' });
    expect(userAgentInfo('curl/8.5.0').bot).toBe(true);
    expect(userAgentInfo('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)').bot).toBe(true);
    expect(userAgentInfo('')).toMatchObject({ bot: true });
  });
});
