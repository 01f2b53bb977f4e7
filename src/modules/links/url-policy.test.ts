import { describe, expect, it } from 'vitest';
import { checkTargetUrl, isLocalHostname, selfHostsOf, selfPortsOf } from './url-policy.js';

const policy = { maxLength: 2_048, selfHosts: selfHostsOf('https://sho.rt'), selfPorts: selfPortsOf('https://sho.rt', [8080]) };
const code = (url: string) => {
  try {
    checkTargetUrl(url, policy);
    return 'ok';
  } catch (error) {
    return (error as { code: string }).code;
  }
};

describe('the self-link guard', () => {
  it('refuses this service under every spelling of its host and of the loopback addresses', () => {
    for (const url of [
      'https://sho.rt/abc',
      'https://SHO.RT./abc',
      'https://sho.rt:443/abc',
      'http://localhost:8080/abc',
      'http://LOCALHOST.:8080/abc',
      'http://api.localhost:8080/abc',
      'http://127.0.0.1:8080/abc',
      'http://127.0.0.2:8080/abc',
      'http://0x7f.1:8080/abc',
      'http://2130706433:8080/abc',
      'http://0.0.0.0:8080/abc',
      'http://0:8080/abc',
      'http://[::1]:8080/abc',
      'http://[0:0:0:0:0:0:0:1]:8080/abc',
      'http://[::ffff:7f00:1]:8080/abc',
      'http://[::ffff:127.0.0.1]:8080/abc',
      'http://[::]:8080/abc',
      'https://localhost/abc',
      'https://[::1]/abc',
    ]) {
      expect(code(url), url).toBe('url_self');
    }
  });

  it('lets other hosts and other local services through', () => {
    for (const url of ['https://example.com/', 'https://sho.rt.example.com/', 'http://127.0.0.1:9999/', 'http://localhost:3000/', 'http://10.0.0.1:8080/', 'http://[::2]:8080/']) {
      expect(code(url), url).toBe('ok');
    }
  });

  it('knows the local names and addresses', () => {
    expect(isLocalHostname('localhost')).toBe(true);
    expect(isLocalHostname('[::ffff:7f00:1]')).toBe(true);
    expect(isLocalHostname('127.255.255.255')).toBe(true);
    expect(isLocalHostname('128.0.0.1')).toBe(false);
    expect(isLocalHostname('notlocalhost')).toBe(false);
  });
});
